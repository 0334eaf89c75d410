# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zones and TSIG keys of the dns_bind role, from its variables.

Used by the role through the filters ``bind_zones`` and ``bind_keys`` (plugins/filter/kms_bind.py).
Names are made absolute once (lower case, no trailing dot) so the templates and tasks agree: a
name that ends with ``.`` or with the zone's own name is absolute, any other name is relative to
the zone, as in a BIND zone file. Errors name the role variable (``dns_bind_zones[0].name``).
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import normalize_domain


class BindZoneError(KmsOpsError):
    """A dns_bind role value the zone list cannot use; ``option`` names the role variable."""


def _text(value, variable):
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise BindZoneError(f"must be a non-empty text, got {value!r}", variable)
    return str(value).strip()


def _zone_name(value, variable):
    """common._primitives.normalize_domain, as a BindZoneError."""
    try:
        return normalize_domain(value, variable)
    except InvalidValue as exc:
        raise BindZoneError(exc.message, variable) from None


def _list(value, variable):
    if value is None:
        return []
    if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
        raise BindZoneError(f"must be a list, got {value!r}", variable)
    return list(value)


def absolute(name, zone, variable):
    """NAME made absolute in ZONE (both lower case, ZONE without the trailing dot)."""
    name = _text(name, variable).lower()
    if name.endswith("."):
        return name[:-1]
    if name == zone or name.endswith("." + zone):
        return name
    return f"{name}.{zone}"


def _unique(items):
    return list(dict.fromkeys(items))


def _given(zone, field, default):
    value = zone.get(field)
    return default if value is None else value


def bind_zones(zones, zone_dir, ns="ns1", ns_addresses=(), hostmaster="hostmaster", ttl=3600):
    """The zones of ``dns_bind_zones`` with every default filled in and every name absolute."""
    result = []
    for index, zone in enumerate(_list(zones, "dns_bind_zones")):
        where = f"dns_bind_zones[{index}]"
        if not isinstance(zone, dict):
            raise BindZoneError(f"must be a mapping with at least a name, got {zone!r}", where)
        name = _zone_name(zone.get("name"), f"{where}.name")
        zone_ns = absolute(_given(zone, "ns", ns), name, f"{where}.ns")
        zone_ttl = _given(zone, "ttl", ttl)
        if isinstance(zone_ttl, bool) or not str(zone_ttl).strip().isdigit():
            raise BindZoneError(f"must be a number of seconds, got {zone_ttl!r}", f"{where}.ttl")
        result.append(
            {
                "name": name,
                "file": f"{zone_dir}/db.{name}",
                "ttl": int(str(zone_ttl).strip()),
                "ns": zone_ns,
                "ns_in_zone": zone_ns == name or zone_ns.endswith("." + name),
                "ns_addresses": _list(_given(zone, "ns_addresses", ns_addresses), f"{where}.ns_addresses"),
                "hostmaster": absolute(_given(zone, "hostmaster", hostmaster), name, f"{where}.hostmaster"),
                "records": _list(zone.get("records"), f"{where}.records"),
                "kms_hosts": _unique(
                    absolute(host, name, f"{where}.kms_hosts[{i}]")
                    for i, host in enumerate(_list(zone.get("kms_hosts"), f"{where}.kms_hosts"))
                ),
                "publish_from_hosts": _unique(
                    absolute(host, name, f"{where}.publish_from_hosts[{i}]")
                    for i, host in enumerate(_list(zone.get("publish_from_hosts"), f"{where}.publish_from_hosts"))
                ),
                "extra_grants": _list(zone.get("extra_grants"), f"{where}.extra_grants"),
            }
        )
    return result


def bind_keys(zones, publisher, algorithm, kms_host_keys=False, extra_keys=()):
    """The TSIG keys the role creates: the publisher key, one per KMS host (with
    ``kms_host_keys``), and the extra keys. ``zones`` is the result of :func:`bind_zones`."""
    keys = [{"name": _text(publisher, "dns_bind_publisher_key_name"), "algorithm": algorithm, "role": "publisher"}]
    if kms_host_keys:
        hosts = _unique(host for zone in zones for host in zone["kms_hosts"])
        keys.extend({"name": host, "algorithm": algorithm, "role": "kms_host"} for host in hosts)
    for index, key in enumerate(_list(extra_keys, "dns_bind_extra_keys")):
        where = f"dns_bind_extra_keys[{index}]"
        if not isinstance(key, dict):
            raise BindZoneError(f"must be a mapping with a name, got {key!r}", where)
        keys.append(
            {
                "name": _text(key.get("name"), f"{where}.name"),
                "algorithm": _given(key, "algorithm", algorithm),
                "role": "extra",
            }
        )
    seen: dict[str, str] = {}  # key name -> role
    for key in keys:
        if key["name"] in seen:
            raise BindZoneError(
                f"the key name {key['name']!r} is used by the {seen[key['name']]} key and by "
                f"a {key['role']} key; each key file needs its own name",
                "dns_bind_extra_keys" if key["role"] == "extra" else "dns_bind_publisher_key_name",
            )
        seen[key["name"]] = key["role"]
    return keys
