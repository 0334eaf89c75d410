# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kms_discover module is a thin wrapper: arguments in, discover() result out, one failure path."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kmsops.kms.plugins.module_utils.discovery import _discovery
from ansible_collections.kmsops.kms.plugins.modules import kms_discover


def run_module(monkeypatch, capsys, args):
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
        with pytest.raises(SystemExit):
            kms_discover.main()
    else:
        with patch_module_args(args), pytest.raises(SystemExit):
            kms_discover.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake_discover(domains, **kwargs):
        seen.append((domains, kwargs))
        return {"domains": [], "candidates": [], "selected": None, "errors": []}

    monkeypatch.setattr(kms_discover, "discover", fake_discover)
    return seen


def test_module_passes_every_option_to_discover_and_changes_nothing(monkeypatch, capsys, calls):
    result = run_module(
        monkeypatch,
        capsys,
        {
            "domains": ["branch.site.example", "site.example"],
            "nameservers": ["127.0.0.1"],
            "dns_port": 5353,
            "probe": True,
            "timeout": 1.5,
            "seed": 7,
            "owners": True,
        },
    )
    assert result["changed"] is False
    assert result["selected"] is None
    assert calls == [
        (
            ["branch.site.example", "site.example"],
            {"nameservers": ["127.0.0.1"], "dns_port": 5353, "probe": True, "timeout": 1.5, "seed": 7, "owners": True},
        )
    ]


def test_module_defaults_to_the_hosts_search_list(monkeypatch, capsys, calls):
    monkeypatch.setattr(kms_discover, "read_search_list", lambda: ["lab.example"])
    run_module(monkeypatch, capsys, {})
    assert calls[0][0] == ["lab.example"]
    assert calls[0][1] == {
        "nameservers": None,
        "dns_port": 53,
        "probe": False,
        "timeout": 5.0,
        "seed": None,
        "owners": False,
    }


def test_module_turns_a_discovery_error_into_a_failure(monkeypatch, capsys):
    monkeypatch.setattr(kms_discover, "read_search_list", lambda: [])
    result = run_module(monkeypatch, capsys, {})
    assert result["failed"] is True
    assert "no domain to search" in result["msg"]


def test_module_without_dnspython_names_the_library(monkeypatch, capsys):
    monkeypatch.setattr(kms_discover, "HAS_DNSPYTHON", False)
    result = run_module(monkeypatch, capsys, {"domains": ["site.example"]})
    assert result["failed"] is True
    assert "dnspython" in result["msg"]


class OneZone:
    """Stands in for the DNS client: one domain with two SRV values and their addresses."""

    def __init__(self, nameservers=None, port=53, timeout=5.0):
        pass

    def srv(self, domain):
        return (
            [
                {"priority": 0, "weight": 60, "port": 1688, "target": "kms1." + domain},
                {"priority": 0, "weight": 40, "port": 1688, "target": "kms2." + domain},
            ],
            "ok",
            None,
        )

    def addresses(self, target):
        return (["192.0.2.1"] if target.startswith("kms1") else ["192.0.2.2"]), None


def test_module_result_is_what_the_library_computes(monkeypatch, capsys):
    # the module must add nothing of its own: same input, same seed, same answer as discover()
    monkeypatch.setattr(_discovery, "DnsClient", OneZone)
    for seed in range(6):
        result = run_module(monkeypatch, capsys, {"domains": ["site.example"], "seed": seed})
        expected = _discovery.discover(["site.example"], seed=seed, client=OneZone())
        assert {key: result[key] for key in expected} == expected
        assert result["changed"] is False


@pytest.mark.parametrize(
    "args, option",
    [
        ({"domains": ["a..b"]}, "domains[0]"),
        ({"domains": ["site.example", "a" * 64 + ".example"]}, "domains[1]"),
        ({"domains": [".".join(["a" * 63] * 4)]}, "domains[0]"),
        ({"domains": ["site.example", "_VLMCS._TCP.site.example."]}, "domains[1]"),
        ({"domains": ["site.example"], "dns_port": 0}, "dns_port"),
        ({"domains": ["site.example"], "dns_port": 70000}, "dns_port"),
        ({"domains": ["site.example"], "timeout": 0}, "timeout"),
        ({"domains": ["site.example"], "timeout": -1}, "timeout"),
    ],
)
def test_module_fails_on_bad_input_naming_the_option_without_a_query(monkeypatch, capsys, args, option):
    def no_client(*_args, **_kwargs):
        raise AssertionError("a DNS client was made although the input is bad")

    monkeypatch.setattr(_discovery, "DnsClient", no_client)
    result = run_module(monkeypatch, capsys, args)
    assert result["failed"] is True
    assert result["msg"].startswith(option + ": ")
    assert result["option"] == option
