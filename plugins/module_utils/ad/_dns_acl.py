# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and ACEs for giving a group rights on DNS nodes of an AD-integrated zone.

Plain text work (no Samba import), used by the ``ad_dns_rights`` module on a Samba DC:
where a node of a zone lives in the directory, the ACE that grants a group rights on it, and
the one ACE of the zone object that lets every authenticated user create new names.
"""

from __future__ import annotations

import re

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import normalize_domain

# SDDL access rights of directory objects (MS-DTYP 2.5.1.1): two letters each
DIRECTORY_RIGHTS = (
    "RP",
    "WP",
    "CC",
    "DC",
    "LC",
    "SW",
    "LO",
    "DT",
    "CR",
    "RC",
    "SD",
    "WD",
    "WO",
    "GA",
    "GR",
    "GW",
    "GX",
)
DEFAULT_RIGHTS = "RPWPLCRCSDDT"
# Authenticated Users may create child objects (new names) in the zone: Samba's and Windows' default
ZONE_CREATE_ACE = "(A;;CC;;;AU)"
PARTITIONS = ("DomainDnsZones", "ForestDnsZones")


class ADRightsError(KmsOpsError):
    """A bad option of the ad_dns_rights module, or what the directory refused."""


def _domain(text, option):
    """common._primitives.normalize_domain, as an ADRightsError."""
    try:
        return normalize_domain(text, option)
    except InvalidValue as exc:
        raise ADRightsError(exc.message, option) from None


def normalize_zone(zone):
    return _domain(zone, "zone")


def relative_node(node, zone):
    """NODE (relative to ZONE, or a name ending in ZONE with a trailing dot) as a relative name."""
    text = (node or "").strip()
    if text.endswith("."):
        absolute = _domain(text, "nodes")
        if absolute == zone:
            raise ADRightsError(f"{node!r} is the zone apex; give names inside the zone", "nodes")
        if not absolute.endswith("." + zone):
            raise ADRightsError(f"{node!r} is not inside zone {zone}", "nodes")
        text = absolute[: -len(zone) - 1]
    return _domain(text, "nodes")


def zone_dn(zone, domain_dn, partition="DomainDnsZones"):
    if partition not in PARTITIONS:
        raise ADRightsError(f"must be one of {', '.join(PARTITIONS)}", "partition")
    return f"DC={zone},CN=MicrosoftDNS,DC={partition},{domain_dn}"


def node_dn(node, zone, domain_dn, partition="DomainDnsZones"):
    """Directory name of the dnsNode object of NODE (relative name) in ZONE."""
    return f"DC={node},{zone_dn(zone, domain_dn, partition)}"


def check_rights(rights):
    """RIGHTS as SDDL access right letters (e.g. RPWPLCRCSDDT), upper case, each right once."""
    text = (rights or "").strip().upper()
    pairs = [text[i : i + 2] for i in range(0, len(text), 2)]
    if not text or len(text) % 2 or any(pair not in DIRECTORY_RIGHTS for pair in pairs):
        raise ADRightsError(
            f"{rights!r} is not a string of SDDL directory rights "
            f"({' '.join(DIRECTORY_RIGHTS)}), e.g. {DEFAULT_RIGHTS}",
            "rights",
        )
    if len(set(pairs)) != len(pairs):
        raise ADRightsError(f"{rights!r} names a right twice", "rights")
    if "WP" not in pairs:
        raise ADRightsError(
            f"{rights!r} lacks WP (write property): the group could not change the records of the node", "rights"
        )
    return text


def grant_ace(rights, sid):
    """The SDDL ACE that allows SID the RIGHTS on one object (not inherited, not inheritable)."""
    if not re.match(r"^S-1(-\d+)+$", sid or ""):
        raise ADRightsError(f"{sid!r} is not a security identifier", "group")
    return f"(A;;{rights};;;{sid})"
