# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the estate model: ``kms_estate``, ``kms_estate_host``, ``kms_estate_secret``, ``kms_estate_keys``,
``kms_discovery_verdict`` and ``kms_publish_error``; documented in the .yml file of each name.
The logic is in plugin_utils/_estate.py; these only turn its errors into filter errors."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.plugin_utils import _estate


def _call(name, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except KmsOpsError as exc:
        raise AnsibleFilterError("%s: %s" % (name, to_native(exc))) from None


def kms_estate(groups, hostvars, play_hosts=None):
    """The model of the KMS estate of the inventory (plugin_utils/_estate.py, read_estate)."""
    return _call("kms_estate", _estate.read_estate, groups, hostvars, play_hosts=play_hosts)


def kms_estate_host(estate, host, topology=None, play_hosts=None):
    """What the topology role does on one host: its entry of the estate and its site."""
    return _call("kms_estate_host", _estate.host_view, estate, host, topology, play_hosts)


def kms_estate_secret(unit, hostvars):
    """The TSIG secret of one publishing unit of the estate, or None."""
    return _call("kms_estate_secret", _estate.unit_secret, unit, hostvars)


def kms_estate_keys(groups, hostvars, kms_hosts_group=None):
    """{host: KMS host key} of the KMS hosts that have one."""
    return _call("kms_estate_keys", _estate.key_assignments, groups, hostvars, kms_hosts_group)


def kms_discovery_verdict(result, expected, domains, source=None):
    """{ok, msg} of one discovery check result."""
    return _call("kms_discovery_verdict", _estate.discovery_verdict, result, expected, domains, source)


def kms_publish_error(results, unit=None):
    """The message of a failed kms_publish of the estate, naming the inventory variables."""
    return _call("kms_publish_error", _estate.publish_error, results, unit)


class FilterModule:
    def filters(self):
        return {
            "kms_estate": kms_estate,
            "kms_estate_host": kms_estate_host,
            "kms_estate_secret": kms_estate_secret,
            "kms_estate_keys": kms_estate_keys,
            "kms_discovery_verdict": kms_discovery_verdict,
            "kms_publish_error": kms_publish_error,
        }
