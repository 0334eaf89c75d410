# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TSIG secrets never leave the module: not in a failure message, not in a traceback, also when
the secret comes from key_file (Ansible does not know it as a no_log value) and when the error
text embeds dnspython's Key, whose repr prints the secret."""

from __future__ import annotations

import base64
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kmsops.kms.plugins.module_utils.dns import _transport
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import TSIGSigner
from ansible_collections.kmsops.kms.plugins.modules import dns_record, kms_publish

try:
    from ansible.module_utils._internal import _traceback
except ImportError:  # ansible-core < 2.19: fail_json returns the exception it is given, always
    _traceback = None

SECRET = base64.b64encode(b"kmsops-unit-test-secret-0123456789").decode()
# the same key written without padding-equivalent whitespace: dnspython re-encodes it
SPACED = SECRET[:8] + " " + SECRET[8:]


def run_module(monkeypatch, capsys, main, args):
    # tracebacks in results on, as ANSIBLE_DISPLAY_TRACEBACK=error does (ansible-core 2.19+)
    if _traceback is not None:
        monkeypatch.setattr(_traceback, "_is_traceback_enabled", lambda event: True)
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
        with pytest.raises(SystemExit):
            main()
    else:
        with patch_module_args(args), pytest.raises(SystemExit):
            main()
    return capsys.readouterr().out


@pytest.fixture
def leaky_exchange(monkeypatch):
    """Make the first message fail with an error whose text holds the key (as a dnspython
    error embedding the keyring would), before anything reaches a network."""

    def exchange(self, message):
        raise ValueError(f"cannot sign with keyring {{'k.': {self.signer._key!r}}}")  # pylint: disable=protected-access

    monkeypatch.setattr(_transport.DNSTransport, "exchange", exchange)


def connection(tmp_path, how):
    args = {"server": "127.0.0.1", "server_port": 53}
    if how == "key_file":
        path = tmp_path / "k.key"
        path.write_text(f'key "k" {{\n\talgorithm hmac-sha256;\n\tsecret "{SECRET}";\n}};\n')
        args["key_file"] = str(path)
    else:
        args.update(key_name="k", key_secret=SECRET)
    return args


@pytest.mark.parametrize("how", ["key_file", "key_secret"])
@pytest.mark.parametrize(
    "main,extra",
    [
        (dns_record.main, {"zone": "corp.example", "name": "kms1", "type": "A", "values": ["192.0.2.1"]}),
        (kms_publish.main, {"hosts": [{"name": "kms1.corp.example", "addresses": ["192.0.2.1"]}]}),
    ],
)
def test_an_unexpected_error_never_shows_the_secret(monkeypatch, capsys, tmp_path, leaky_exchange, how, main, extra):
    args = dict(connection(tmp_path, how), **extra)
    out = run_module(monkeypatch, capsys, main, args)
    result = json.loads(out)
    assert result["failed"] is True
    assert "unexpected error (ValueError): cannot sign with keyring" in result["msg"]
    assert "Traceback" in result["exception"]
    assert SECRET not in out
    assert SECRET[:-4] not in out


def test_the_signer_and_its_repr_do_not_show_the_secret():
    signer = TSIGSigner("k", SPACED)
    assert SECRET in signer.secrets  # what dnspython's Key repr prints, scrubbed from output
    assert SECRET not in repr(signer) and SECRET[:8] not in repr(signer)
    assert SECRET[:8] not in signer.describe()
