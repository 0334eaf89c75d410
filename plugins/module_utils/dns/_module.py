# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue between the DNS modules and the engine: the shared options, and the one place where
engine errors become ``fail_json``."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import dns.version  # noqa: F401 pylint: disable=unused-import

    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import check_port, check_timeout
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import plan_report, run_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import (
    GSS_TSIG,
    TSIG_ALGORITHMS,
    DNSTransport,
    make_signer,
)


def dns_argument_spec():
    """The connection and TSIG options every DNS module takes (doc fragment ``kmsops.kms.dns``)."""
    return {
        "server": {"type": "str", "required": True},
        "server_port": {"type": "int", "default": 53},
        "protocol": {"type": "str", "default": "tcp", "choices": ["tcp", "udp"]},
        "timeout": {"type": "float", "default": 10.0},
        "key_name": {"type": "str"},
        "key_secret": {"type": "str", "no_log": True},
        "key_algorithm": {"type": "str", "default": "hmac-sha256", "choices": [*TSIG_ALGORITHMS, GSS_TSIG]},
        "key_file": {"type": "path"},
        "allow_unsigned": {"type": "bool", "default": False},
        "kerberos_principal": {"type": "str"},
        "kerberos_keytab": {"type": "path"},
        "kerberos_ccache": {"type": "path"},
        "verify_reply_signature": {"type": "bool", "default": True},
    }


DNS_MUTUALLY_EXCLUSIVE = [("key_secret", "key_file")]


def make_transport(params):
    """Check the connection options and build the transport (signer made once, reused)."""
    port = check_port(params["server_port"], "server_port")
    timeout = check_timeout(params["timeout"], "timeout")
    signer = make_signer(params)
    return DNSTransport(params["server"], port, params["protocol"], timeout, signer)


def _zone_result(plan):
    return {
        "zone": plan.zone.to_text(),
        "changed": plan.changed,
        "update_sent": plan.update_sent,
        "attempts": plan.attempts,
        "state": plan.state,
    }


def _scrub(text, secrets):
    """TEXT with every secret replaced (a dnspython error or traceback may embed the key)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def run_dns_module(module, build, shape, verify=False):
    """Run a DNS module.

    BUILD(params) -> (changes, zone or None): checks every input and builds the wanted changes
    before anything is sent. SHAPE(records, plans) -> dict of extra return values. VERIFY: read
    the changed RRsets back after each UPDATE (see ``verify_update``).
    Every error (a KmsOpsError: engine errors and bad values) becomes one fail_json here; nothing
    else calls fail_json. An unexpected error fails too, with the TSIG secret (also one read from
    key_file) scrubbed from message and traceback.
    """
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython"), exception=DNSPYTHON_IMPORT_ERROR)
    if module.params.get("key_algorithm") == GSS_TSIG:
        # the GSS-TSIG code and gssapi are imported only here: a TSIG run does not pay for them
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.kmsops.kms.plugins.module_utils.dns._gss_tsig import (
            gssapi_import_error,
            load_gssapi,
        )

        if load_gssapi() is None:
            module.fail_json(
                msg="key_algorithm: gss-tsig needs the Python gssapi library. "
                + missing_required_lib("gssapi (Debian: python3-gssapi)"),
                option="key_algorithm",
                exception=gssapi_import_error(),
            )
    transport = None
    secrets = [module.params.get("key_secret")]
    try:
        changes, zone = build(module.params)
        transport = make_transport(module.params)
        secrets += list(getattr(transport.signer, "secrets", ()))
        # Ansible masks no_log values in everything the module returns: add a key_file's secret
        module.no_log_values.update(secret for secret in secrets if secret)
        plans = run_changes(transport, changes, module.check_mode, zone, verify=verify)
    except KmsOpsError as exc:
        # zones updated before the failure keep their change: say so, and report changed
        updated = [plan for plan in exc.applied if plan.state == "updated"]
        module.fail_json(
            msg=_scrub(str(exc), secrets),
            option=exc.option,
            changed=bool(updated),
            zones=[_zone_result(plan) for plan in exc.applied],
        )
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(
            msg=_scrub(f"unexpected error ({type(exc).__name__}): {exc}", secrets),
            exception=_scrub(traceback.format_exc(), secrets),
        )
    finally:
        if transport is not None:
            transport.close()
    for plan in plans:
        for warning in plan.warnings:
            module.warn(warning)
    records, diff, changed = plan_report(plans, diff=module._diff)
    result = {
        "changed": changed,
        "zones": [_zone_result(plan) for plan in plans],
        "records": records,
    }
    result.update(shape(records, plans))
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)
