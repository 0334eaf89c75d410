# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the roles: ``site_plan``, ``site_key_assignments`` (kms_site) and ``bind_zones``,
``bind_keys`` (dns_bind); documented in the .yml file of each name. The logic is in
module_utils/site; these only turn its errors into filter errors."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kmsops.kms.plugins.module_utils.site._bind_zones import bind_keys as _bind_keys
from ansible_collections.kmsops.kms.plugins.module_utils.site._bind_zones import bind_zones as _bind_zones
from ansible_collections.kmsops.kms.plugins.module_utils.site._site_plan import (
    SitePlanError,
    key_assignments,
    plan_site,
)


def _call(name, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except SitePlanError as exc:
        raise AnsibleFilterError("%s: %s" % (name, to_native(exc)))


def site_plan(site, **kwargs):
    """The plan of one site (see module_utils/site/_site_plan.py, plan_site)."""
    return _call("site_plan", plan_site, site=site, **kwargs)


def site_key_assignments(kms_hosts, hostvars):
    """{host: KMS host key} of the hosts that have one."""
    return _call("site_key_assignments", key_assignments, list(kms_hosts or []), hostvars)


def bind_zones(zones, **kwargs):
    """dns_bind_zones with defaults filled in and absolute names."""
    return _call("bind_zones", _bind_zones, zones, **kwargs)


def bind_keys(zones, **kwargs):
    """The TSIG keys dns_bind creates for the zones bind_zones returned."""
    return _call("bind_keys", _bind_keys, zones, **kwargs)


class FilterModule:
    def filters(self):
        return {
            "site_plan": site_plan,
            "site_key_assignments": site_key_assignments,
            "bind_zones": bind_zones,
            "bind_keys": bind_keys,
        }
