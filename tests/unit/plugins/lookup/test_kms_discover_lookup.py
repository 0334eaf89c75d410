# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kms_discover lookup: terms are domains, options pass through, errors become AnsibleLookupError."""

from __future__ import annotations

import re

import pytest
import yaml
from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleLookupError

from ansible_collections.kmsops.kms.plugins.doc_fragments import discovery
from ansible_collections.kmsops.kms.plugins.lookup import kms_discover
from ansible_collections.kmsops.kms.plugins.module_utils.discovery import _discovery


@pytest.fixture
def lookup():
    """The plugin with its documented options registered, as the plugin loader would do.

    A plain pytest run has no collection loader, so the options of the lookup's DOCUMENTATION
    and of its doc fragment are merged here and handed to the configuration manager.
    """
    options = {}
    for text in (discovery.ModuleDocFragment.DOCUMENTATION, kms_discover.DOCUMENTATION):
        options.update(yaml.safe_load(text)["options"])
    plugin = kms_discover.LookupModule()
    plugin._load_name = "kmsops.kms.kms_discover"
    C.config.initialize_plugin_configuration_definitions("lookup", plugin._load_name, options)
    return plugin


def test_lookup_returns_one_result_and_passes_options(lookup, monkeypatch):
    seen = []
    module = kms_discover
    monkeypatch.setattr(module, "discover", lambda domains, **kw: seen.append((domains, kw)) or {"selected": None})
    result = lookup.run(
        ["branch.site.example", ["site.example"]],
        variables={},
        nameservers=["127.0.0.1"],
        dns_port=5353,
        probe=True,
        timeout=2,
        seed="x",
    )
    assert result == [{"selected": None}]
    assert seen == [
        (
            ["branch.site.example", "site.example"],
            {"nameservers": ["127.0.0.1"], "dns_port": 5353, "probe": True, "timeout": 2.0, "seed": "x"},
        )
    ]


def test_lookup_without_terms_uses_the_controllers_search_list(lookup, monkeypatch):
    seen = []
    module = kms_discover
    monkeypatch.setattr(module, "read_search_list", lambda: ["controller.example"])
    monkeypatch.setattr(module, "discover", lambda domains, **kw: seen.append(domains) or {})
    lookup.run([], variables={})
    assert seen == [["controller.example"]]


def test_lookup_turns_a_discovery_error_into_a_lookup_error(lookup, monkeypatch):
    module = kms_discover
    monkeypatch.setattr(module, "read_search_list", lambda: [])
    with pytest.raises(AnsibleLookupError, match="no domain to search"):
        lookup.run([], variables={})


def test_lookup_without_dnspython_says_so(lookup, monkeypatch):
    module = kms_discover
    monkeypatch.setattr(module, "HAS_DNSPYTHON", False)
    with pytest.raises(AnsibleError, match="dnspython"):
        lookup.run(["site.example"], variables={})


def test_lookup_takes_domains_as_a_keyword_and_never_falls_back_to_the_search_list(lookup, monkeypatch):
    seen = []
    module = kms_discover
    monkeypatch.setattr(module, "read_search_list", lambda: ["controller.example"])
    monkeypatch.setattr(module, "discover", lambda domains, **kw: seen.append(domains) or {})
    lookup.run([], variables={}, domains=["branch.site.example", "site.example"])
    assert seen == [["branch.site.example", "site.example"]]


def test_lookup_refuses_domains_as_terms_and_keyword_together(lookup, monkeypatch):
    module = kms_discover
    monkeypatch.setattr(module, "discover", lambda domains, **kw: pytest.fail("must not search"))
    with pytest.raises(AnsibleLookupError, match="domains: give the domains as terms or as domains=, not both"):
        lookup.run(["a.example"], variables={}, domains=["b.example"])


@pytest.mark.parametrize("keyword", ["domain", "nameserver", "dns_prot"])
def test_lookup_rejects_a_keyword_it_does_not_know(lookup, monkeypatch, keyword):
    module = kms_discover
    monkeypatch.setattr(module, "discover", lambda domains, **kw: pytest.fail("must not search"))
    with pytest.raises(
        AnsibleLookupError,
        match=f"unknown keyword\\(s\\) {keyword}; the lookup takes "
        "dns_port, domains, nameservers, probe, seed, timeout",
    ):
        lookup.run(["a.example"], variables={}, **{keyword: "x"})


@pytest.mark.parametrize(
    "terms, options, option",
    [
        (["site.example", "a..b"], {}, "domains[1]"),
        ([], {"domains": ["a" * 64 + ".example"]}, "domains[0]"),
        (["_vlmcs._tcp.site.example"], {}, "domains[0]"),
        (["site.example"], {"dns_port": 0}, "dns_port"),
        (["site.example"], {"timeout": -1}, "timeout"),
    ],
)
def test_lookup_refuses_bad_input_naming_the_option_before_any_query(lookup, monkeypatch, terms, options, option):
    def no_client(*_args, **_kwargs):
        raise AssertionError("a DNS client was made although the input is bad")

    monkeypatch.setattr(_discovery, "DnsClient", no_client)
    with pytest.raises(AnsibleLookupError, match="^kms_discover: " + re.escape(option) + ": "):
        lookup.run(terms, variables={}, **options)
