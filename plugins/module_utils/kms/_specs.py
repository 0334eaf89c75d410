# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of kms_host, kms_client and kms_info (one source for the action plugins and
for the documentation stubs that ansible-test's validate-modules compares with DOCUMENTATION)."""

from __future__ import annotations

KMS_HOST_SPEC = dict(
    argument_spec=dict(
        product_key=dict(type="str", no_log=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        activation=dict(type="str", default="online", choices=["online", "phone", "none"]),
        confirmation_id=dict(type="str", no_log=True),
        port=dict(type="int"),
        dns_publishing=dict(type="bool"),
        publish_domains=dict(
            type="list",
            elements="dict",
            options=dict(
                domain=dict(type="str", required=True),
                priority=dict(type="int", default=0),
                weight=dict(type="int", default=0),
            ),
        ),
        publish_own_domain=dict(type="bool", default=True),
        low_priority=dict(type="bool"),
        activation_interval=dict(type="int"),
        renewal_interval=dict(type="int"),
        allow_client_edition=dict(type="bool", default=False),
        manage_firewall=dict(type="bool", default=True),
        firewall_profiles=dict(
            type="list", elements="str", choices=["Domain", "Private", "Public"], default=["Domain", "Private"]
        ),
        ledger_path=dict(type="path"),
        extra_hosts_granted=dict(type="int", default=0),
        extra_activations_granted=dict(type="int", default=0),
    ),
    required_if=[("state", "present", ("product_key",))],
    supports_check_mode=True,
)

KMS_CLIENT_SPEC = dict(
    argument_spec=dict(
        product_key=dict(type="str", no_log=True),
        kms_host=dict(type="str"),
        dns_discovery=dict(type="bool"),
        kms_domain=dict(type="str"),
        host_caching=dict(type="bool"),
        activate=dict(type="bool", default=False),
        allow_unlisted_key=dict(type="bool", default=False),
        clear_product_overrides=dict(type="bool", default=True),
    ),
    mutually_exclusive=[("kms_host", "dns_discovery")],
    supports_check_mode=True,
)

KMS_INFO_SPEC = dict(
    argument_spec={},
    supports_check_mode=True,
)
