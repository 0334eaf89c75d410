# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters ``srv_order`` and ``publish_list``; documented in srv_order.yml and publish_list.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.discovery._discovery import order_srv_values
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._publish_list import (
    format_publish_list,
    parse_publish_list,
)


def srv_order(values, seed=None):
    """RFC 2782 order of SRV values (text ``priority weight port target`` or mappings)."""
    try:
        return order_srv_values(values, seed=seed)
    except KmsOpsError as exc:
        raise AnsibleFilterError("srv_order: %s" % to_native(exc)) from None


def publish_list(data, as_text=False):
    """DnsDomainPublishList text or lines -> entries; entries (mappings) -> lines (or text)."""
    try:
        if data is None:
            return []
        if isinstance(data, str) or (isinstance(data, (list, tuple)) and all(isinstance(item, str) for item in data)):
            return parse_publish_list(data, "publish_list")
        if isinstance(data, (list, tuple)):
            lines = format_publish_list(data, "publish_list")
            return "\n".join(lines) if as_text else lines
    except KmsOpsError as exc:
        raise AnsibleFilterError("publish_list: %s" % to_native(exc)) from None
    raise AnsibleFilterError(
        "publish_list expects the registry text, a list of lines or a list of entries, got %s" % type(data).__name__
    )


class FilterModule:
    def filters(self):
        return {
            "srv_order": srv_order,
            "publish_list": publish_list,
        }
