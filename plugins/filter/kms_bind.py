# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the dns_bind role: ``bind_zones`` and ``bind_keys``; documented in the .yml file
of each name. The logic is in plugin_utils/_bind_zones.py; these only turn its errors into
filter errors."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kmsops.kms.plugins.plugin_utils._bind_zones import BindZoneError
from ansible_collections.kmsops.kms.plugins.plugin_utils._bind_zones import bind_keys as _bind_keys
from ansible_collections.kmsops.kms.plugins.plugin_utils._bind_zones import bind_zones as _bind_zones


def _call(name, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except BindZoneError as exc:
        raise AnsibleFilterError("%s: %s" % (name, to_native(exc))) from None


def bind_zones(zones, **kwargs):
    """dns_bind_zones with defaults filled in and absolute names."""
    return _call("bind_zones", _bind_zones, zones, **kwargs)


def bind_keys(zones, **kwargs):
    """The TSIG keys dns_bind creates for the zones bind_zones returned."""
    return _call("bind_keys", _bind_keys, zones, **kwargs)


class FilterModule:
    def filters(self):
        return {
            "bind_zones": bind_zones,
            "bind_keys": bind_keys,
        }
