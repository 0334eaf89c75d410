# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS client setup keys (GVLKs): Microsoft's public table, shipped as data.

Source (public facts): "Key Management Services (KMS) client activation and product keys",
https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
(table as published in 2024/2025). The keys and the edition names come from that page.

The columns ``edition_ids`` (the ``EditionID`` value under
``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion``) and ``builds`` (the OS build number)
are this collection's own mapping, used to pick a key for a running machine when
``product_key: auto`` is asked for. They are not part of Microsoft's table; when a machine
does not match, ``auto`` fails with a clear message and the key can be given explicitly.
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    KmsError,
    normalize_product_key,
)

SOURCE_URL = "https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys"

# Windows 10 / 11 (any build from 10240 on) for the Semi-Annual Channel rows.
_WIN10_AND_LATER = (10240, 99999)


def _b(*builds):
    return tuple((b, b) for b in builds)


# (family, edition names as published, edition IDs, build ranges, key)
_ROWS = (
    # Windows Server LTSC
    (
        "Windows Server 2025",
        ("Windows Server 2025 Standard",),
        ("ServerStandard",),
        _b(26100),
        "TVRH6-WHNXV-R9WG3-9XRFY-MY832",
    ),
    (
        "Windows Server 2025",
        ("Windows Server 2025 Datacenter",),
        ("ServerDatacenter",),
        _b(26100),
        "D764K-2NDRG-47T6Q-P8T8W-YP6DF",
    ),
    (
        "Windows Server 2025",
        ("Windows Server 2025 Datacenter: Azure Edition",),
        ("ServerTurbine",),
        _b(26100),
        "XGN3F-F394H-FD2MY-PP6FD-8MCRC",
    ),
    (
        "Windows Server 2022",
        ("Windows Server 2022 Standard",),
        ("ServerStandard",),
        _b(20348),
        "VDYBN-27WPP-V4HQT-9VMD4-VMK7H",
    ),
    (
        "Windows Server 2022",
        ("Windows Server 2022 Datacenter",),
        ("ServerDatacenter",),
        _b(20348),
        "WX4NM-KYWYW-QJJR4-XV3QB-6VM33",
    ),
    (
        "Windows Server 2022",
        ("Windows Server 2022 Datacenter: Azure Edition",),
        ("ServerTurbine",),
        _b(20348),
        "NTBV8-9K7Q8-V27C6-M2BTV-KHMXV",
    ),
    (
        "Windows Server 2019",
        ("Windows Server 2019 Standard",),
        ("ServerStandard",),
        _b(17763),
        "N69G4-B89J2-4G8F4-WWYCC-J464C",
    ),
    (
        "Windows Server 2019",
        ("Windows Server 2019 Datacenter",),
        ("ServerDatacenter",),
        _b(17763),
        "WMDGN-G9PQG-XVVXX-R3X43-63DFG",
    ),
    (
        "Windows Server 2019",
        ("Windows Server 2019 Essentials",),
        ("ServerSolution",),
        _b(17763),
        "WVDHN-86M7X-466P6-VHXV7-YY726",
    ),
    (
        "Windows Server 2016",
        ("Windows Server 2016 Standard",),
        ("ServerStandard",),
        _b(14393),
        "WC2BQ-8NRM3-FDDYY-2BFGV-KHKQY",
    ),
    (
        "Windows Server 2016",
        ("Windows Server 2016 Datacenter",),
        ("ServerDatacenter",),
        _b(14393),
        "CB7KF-BWN84-R7R2Y-793K2-8XDDG",
    ),
    (
        "Windows Server 2016",
        ("Windows Server 2016 Essentials",),
        ("ServerSolution",),
        _b(14393),
        "JCKRF-N37P4-C2D82-9YXRT-4M63B",
    ),
    # Windows Server Semi-Annual Channel (20H2, 2004, 1909, 1903, 1809). Version 1809 shares
    # build 17763 with Windows Server 2019, so `auto` maps 17763 to 2019; give SAC 1809 keys
    # explicitly.
    (
        "Windows Server SAC 1809-20H2",
        ("Windows Server Standard",),
        ("ServerStandard",),
        _b(18362, 18363, 19041, 19042),
        "N2KJX-J94YW-TQVFB-DG9YT-724CC",
    ),
    (
        "Windows Server SAC 1809-20H2",
        ("Windows Server Datacenter",),
        ("ServerDatacenter",),
        _b(18362, 18363, 19041, 19042),
        "6NMRW-2C8FM-D24W7-TQWMY-CWH2D",
    ),
    # Windows 11 and Windows 10 Semi-Annual Channel
    (
        "Windows 10/11",
        ("Windows 11 Pro", "Windows 10 Pro"),
        ("Professional",),
        (_WIN10_AND_LATER,),
        "W269N-WFGWX-YVC9B-4J6C9-T83GX",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Pro N", "Windows 10 Pro N"),
        ("ProfessionalN",),
        (_WIN10_AND_LATER,),
        "MH37W-N47XK-V7XM9-C7227-GCQG9",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Pro for Workstations", "Windows 10 Pro for Workstations"),
        ("ProfessionalWorkstation",),
        (_WIN10_AND_LATER,),
        "NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Pro for Workstations N", "Windows 10 Pro for Workstations N"),
        ("ProfessionalWorkstationN",),
        (_WIN10_AND_LATER,),
        "9FNHH-K3HBT-3W4TD-6383H-6XYWF",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Pro Education", "Windows 10 Pro Education"),
        ("ProfessionalEducation",),
        (_WIN10_AND_LATER,),
        "6TP4R-GNPTD-KYYHQ-7B7DP-J447Y",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Pro Education N", "Windows 10 Pro Education N"),
        ("ProfessionalEducationN",),
        (_WIN10_AND_LATER,),
        "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Education", "Windows 10 Education"),
        ("Education",),
        (_WIN10_AND_LATER,),
        "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Education N", "Windows 10 Education N"),
        ("EducationN",),
        (_WIN10_AND_LATER,),
        "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Enterprise", "Windows 10 Enterprise"),
        ("Enterprise",),
        (_WIN10_AND_LATER,),
        "NPPR9-FWDCX-D2C8J-H872K-2YT43",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Enterprise N", "Windows 10 Enterprise N"),
        ("EnterpriseN",),
        (_WIN10_AND_LATER,),
        "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Enterprise G", "Windows 10 Enterprise G"),
        ("EnterpriseG",),
        (_WIN10_AND_LATER,),
        "YYVX9-NTFWV-6MDM3-9PT4T-4M68B",
    ),
    (
        "Windows 10/11",
        ("Windows 11 Enterprise G N", "Windows 10 Enterprise G N"),
        ("EnterpriseGN",),
        (_WIN10_AND_LATER,),
        "44RPN-FTY23-9VTTB-MP9BX-T84FV",
    ),
    # Windows Enterprise LTSC / LTSB
    (
        "Windows Enterprise LTSC",
        ("Windows 11 Enterprise LTSC 2024", "Windows 10 Enterprise LTSC 2021", "Windows 10 Enterprise LTSC 2019"),
        ("EnterpriseS",),
        _b(26100, 19044, 17763),
        "M7XTQ-FN8P6-TTKYV-9D4CC-J462D",
    ),
    (
        "Windows Enterprise LTSC",
        ("Windows 11 Enterprise N LTSC 2024", "Windows 10 Enterprise N LTSC 2021", "Windows 10 Enterprise N LTSC 2019"),
        ("EnterpriseSN",),
        _b(26100, 19044, 17763),
        "92NFX-8DJQP-P6BBQ-THF9C-7CG2H",
    ),
    (
        "Windows IoT Enterprise LTSC",
        ("Windows IoT Enterprise LTSC 2024", "Windows IoT Enterprise LTSC 2021"),
        ("IoTEnterpriseS",),
        _b(26100, 19044),
        "KBN8V-HFGQ4-MGXVD-347P6-PDQGT",
    ),
    (
        "Windows 10 LTSB 2016",
        ("Windows 10 Enterprise LTSB 2016",),
        ("EnterpriseS",),
        _b(14393),
        "DCPHK-NFMTC-H88MJ-PFHPY-QJ4BJ",
    ),
    (
        "Windows 10 LTSB 2016",
        ("Windows 10 Enterprise N LTSB 2016",),
        ("EnterpriseSN",),
        _b(14393),
        "QFFDN-GRT3P-VKWWX-X7T3R-8B639",
    ),
    (
        "Windows 10 LTSB 2015",
        ("Windows 10 Enterprise LTSB 2015",),
        ("EnterpriseS",),
        _b(10240),
        "WNMTR-4C88C-JK8YV-HQ7T2-76DF9",
    ),
    (
        "Windows 10 LTSB 2015",
        ("Windows 10 Enterprise N LTSB 2015",),
        ("EnterpriseSN",),
        _b(10240),
        "2F77B-TNFGY-69QQF-B8YKP-D69TJ",
    ),
    # Earlier versions of Windows Server
    (
        "Windows Server 1803",
        ("Windows Server Standard (version 1803)",),
        ("ServerStandard",),
        _b(17134),
        "PTXN8-JFHJM-4WC78-MPCBR-9W4KR",
    ),
    (
        "Windows Server 1803",
        ("Windows Server Datacenter (version 1803)",),
        ("ServerDatacenter",),
        _b(17134),
        "2HXDN-KRXHB-GPYC7-YCKFJ-7FVDG",
    ),
    (
        "Windows Server 1709",
        ("Windows Server Standard (version 1709)",),
        ("ServerStandard",),
        _b(16299),
        "DPCNP-XQFKJ-BJF7R-FRC8D-GF6G4",
    ),
    (
        "Windows Server 1709",
        ("Windows Server Datacenter (version 1709)",),
        ("ServerDatacenter",),
        _b(16299),
        "6Y6KB-N82V8-D8CQV-23MJW-BWTG6",
    ),
    (
        "Windows Server 2012 R2",
        ("Windows Server 2012 R2 Standard",),
        ("ServerStandard",),
        _b(9600),
        "D2N9P-3P6X9-2R39C-7RTCD-MDVJX",
    ),
    (
        "Windows Server 2012 R2",
        ("Windows Server 2012 R2 Datacenter",),
        ("ServerDatacenter",),
        _b(9600),
        "W3GGN-FT8W3-Y4M27-J84CP-Q3VJ9",
    ),
    (
        "Windows Server 2012 R2",
        ("Windows Server 2012 R2 Essentials",),
        ("ServerSolution",),
        _b(9600),
        "KNC87-3J2TX-XB4WP-VCPJV-M4FWM",
    ),
    (
        "Windows Server 2012",
        ("Windows Server 2012 Standard",),
        ("ServerStandard",),
        _b(9200),
        "XC9B7-NBPP2-83J2H-RHMBY-92BT4",
    ),
    (
        "Windows Server 2012",
        ("Windows Server 2012 MultiPoint Standard",),
        ("ServerMultiPointStandard",),
        _b(9200),
        "HM7DN-YVMH3-46JC3-XYTG7-CYQJJ",
    ),
    (
        "Windows Server 2012",
        ("Windows Server 2012 MultiPoint Premium",),
        ("ServerMultiPointPremium",),
        _b(9200),
        "XNH6W-2V9GX-RGJ4K-Y8X6F-QGJ2G",
    ),
    (
        "Windows Server 2012",
        ("Windows Server 2012 Datacenter",),
        ("ServerDatacenter",),
        _b(9200),
        "48HP8-DN98B-MYWDG-T2DCC-8W83P",
    ),
    (
        "Windows Server 2012",
        ("Windows Server 2012 Essentials",),
        ("ServerSolution",),
        _b(9200),
        "HTDQM-NBMMG-KGYDT-2DTKT-J2MPV",
    ),
    (
        "Windows Server 2008 R2",
        ("Windows Server 2008 R2 Web",),
        ("ServerWeb",),
        _b(7600, 7601),
        "6TPJF-RBVHG-WBW2R-86QPH-6RTM4",
    ),
    (
        "Windows Server 2008 R2",
        ("Windows Server 2008 R2 HPC edition",),
        ("ServerComputeCluster",),
        _b(7600, 7601),
        "TT8MH-CG224-D3D7Q-498W2-9QCTX",
    ),
    (
        "Windows Server 2008 R2",
        ("Windows Server 2008 R2 Standard",),
        ("ServerStandard",),
        _b(7600, 7601),
        "YC6KT-GKW9T-YTKYR-T4X34-R7VHC",
    ),
    (
        "Windows Server 2008 R2",
        ("Windows Server 2008 R2 Enterprise",),
        ("ServerEnterprise",),
        _b(7600, 7601),
        "489J6-VHDMP-X63PK-3K798-CPX3Y",
    ),
    (
        "Windows Server 2008 R2",
        ("Windows Server 2008 R2 Datacenter",),
        ("ServerDatacenter",),
        _b(7600, 7601),
        "74YFP-3QFB3-KQT8W-PMXWJ-7M648",
    ),
    (
        "Windows Server 2008 R2",
        ("Windows Server 2008 R2 for Itanium-based Systems",),
        ("ServerEnterpriseIA64",),
        _b(7600, 7601),
        "GT63C-RJFQ3-4GMB6-BRFB9-CB83V",
    ),
    (
        "Windows Server 2008",
        ("Windows Web Server 2008",),
        ("ServerWeb",),
        _b(6001, 6002, 6003),
        "WYR28-R7TFJ-3X2YQ-YCY4H-M249D",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 Standard",),
        ("ServerStandard",),
        _b(6001, 6002, 6003),
        "TM24T-X9RMF-VWXK6-X8JC9-BFGM2",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 Standard without Hyper-V",),
        ("ServerStandardV",),
        _b(6001, 6002, 6003),
        "W7VD6-7JFBR-RX26B-YKQ3Y-6FFFJ",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 Enterprise",),
        ("ServerEnterprise",),
        _b(6001, 6002, 6003),
        "YQGMW-MPWTJ-34KDK-48M3W-X4Q6V",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 Enterprise without Hyper-V",),
        ("ServerEnterpriseV",),
        _b(6001, 6002, 6003),
        "39BXF-X8Q23-P2WWT-38T2F-G3FPG",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 HPC",),
        ("ServerComputeCluster",),
        _b(6001, 6002, 6003),
        "RCTX3-KWVHP-BR6TB-RB6DM-6X7HP",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 Datacenter",),
        ("ServerDatacenter",),
        _b(6001, 6002, 6003),
        "7M67G-PC374-GR742-YH8V4-TCBY3",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 Datacenter without Hyper-V",),
        ("ServerDatacenterV",),
        _b(6001, 6002, 6003),
        "22XQ2-VRXRG-P8D42-K34TD-G3QQC",
    ),
    (
        "Windows Server 2008",
        ("Windows Server 2008 for Itanium-Based Systems",),
        ("ServerEnterpriseIA64",),
        _b(6001, 6002, 6003),
        "4DWFP-JF3DJ-B7DTH-78FJB-PDRHK",
    ),
    # Earlier versions of Windows client
    ("Windows 8.1", ("Windows 8.1 Pro",), ("Professional",), _b(9600), "GCRJD-8NW9H-F2CDX-CCM8D-9D6T9"),
    ("Windows 8.1", ("Windows 8.1 Pro N",), ("ProfessionalN",), _b(9600), "HMCNV-VVBFX-7HMBH-CTY9B-B4FXY"),
    ("Windows 8.1", ("Windows 8.1 Enterprise",), ("Enterprise",), _b(9600), "MHF9N-XY6XB-WVXMC-BTDCT-MKKG7"),
    ("Windows 8.1", ("Windows 8.1 Enterprise N",), ("EnterpriseN",), _b(9600), "TT4HM-HN7YT-62K67-RGRQJ-JFFXW"),
    ("Windows 8", ("Windows 8 Pro",), ("Professional",), _b(9200), "NG4HW-VH26C-733KW-K6F98-J8CK4"),
    ("Windows 8", ("Windows 8 Pro N",), ("ProfessionalN",), _b(9200), "XCVCF-2NXM9-723PB-MHCB7-2RYQQ"),
    ("Windows 8", ("Windows 8 Enterprise",), ("Enterprise",), _b(9200), "32JNW-9KQ84-P47T8-D8GGY-CWCK7"),
    ("Windows 8", ("Windows 8 Enterprise N",), ("EnterpriseN",), _b(9200), "JMNMF-RHW7P-DMY6X-RF3DR-X2BQT"),
    ("Windows 7", ("Windows 7 Professional",), ("Professional",), _b(7600, 7601), "FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4"),
    ("Windows 7", ("Windows 7 Professional N",), ("ProfessionalN",), _b(7600, 7601), "MRPKT-YTG23-K7D7T-X2JMM-QY7MG"),
    ("Windows 7", ("Windows 7 Professional E",), ("ProfessionalE",), _b(7600, 7601), "W82YF-2Q76Y-63HXB-FGJG9-GF7QX"),
    ("Windows 7", ("Windows 7 Enterprise",), ("Enterprise",), _b(7600, 7601), "33PXH-7Y6KF-2VJC9-XBBR8-HVTHH"),
    ("Windows 7", ("Windows 7 Enterprise N",), ("EnterpriseN",), _b(7600, 7601), "YDRBP-3D83W-TY26F-D46B2-XCKRJ"),
    ("Windows 7", ("Windows 7 Enterprise E",), ("EnterpriseE",), _b(7600, 7601), "C29WB-22CC8-VJ326-GHFJW-H9DH4"),
    (
        "Windows Vista",
        ("Windows Vista Business",),
        ("Business",),
        _b(6000, 6001, 6002, 6003),
        "YFKBB-PQJJV-G996G-VWGXY-2V3X8",
    ),
    (
        "Windows Vista",
        ("Windows Vista Business N",),
        ("BusinessN",),
        _b(6000, 6001, 6002, 6003),
        "HMBQG-8H2RH-C77VX-27R82-VMQBT",
    ),
    (
        "Windows Vista",
        ("Windows Vista Enterprise",),
        ("Enterprise",),
        _b(6000, 6001, 6002, 6003),
        "VKK3X-68KWM-X2YGT-QR4M6-4BWMV",
    ),
    (
        "Windows Vista",
        ("Windows Vista Enterprise N",),
        ("EnterpriseN",),
        _b(6000, 6001, 6002, 6003),
        "VTC42-BM838-43QHV-84HX6-XJXKV",
    ),
)


class GvlkEntry:
    __slots__ = ("builds", "edition_ids", "editions", "family", "key")

    def __init__(self, family, editions, edition_ids, builds, key):
        self.family = family
        self.editions = editions
        self.edition_ids = edition_ids
        self.builds = builds
        self.key = key

    def matches_build(self, build):
        return any(low <= build <= high for low, high in self.builds)

    def as_dict(self):
        return {"family": self.family, "editions": list(self.editions), "key": self.key}


GVLK_TABLE = tuple(GvlkEntry(*row) for row in _ROWS)

_KEYS = frozenset(normalize_product_key(e.key) for e in GVLK_TABLE)


class NoGvlkForEdition(KmsError):
    """`product_key: auto` found no KMS client setup key for the machine's edition."""


def is_gvlk(key):
    """True when the key is one of the published KMS client setup keys."""
    try:
        return normalize_product_key(key) in _KEYS
    except KmsError:
        return False


def _normalize_edition_id(edition_id):
    text = (edition_id or "").strip()
    # Server Core installations may report e.g. ServerDatacenterCor.
    if text.endswith("Cor"):
        text = text[:-3]
    return text.lower()


def _normalize_caption(caption):
    text = " ".join((caption or "").replace("\u00ae", "").replace("\u2122", "").split())
    if text.lower().startswith("microsoft "):
        text = text[len("microsoft ") :]
    return text.lower()


def find_gvlk(edition_id=None, build=None, caption=None):
    """Return the GvlkEntry for a machine, or raise NoGvlkForEdition.

    Matching: the EditionID and build number first; when that finds nothing, the OS caption
    (Win32_OperatingSystem.Caption, e.g. "Microsoft Windows Server 2022 Datacenter") compared
    with the published edition names, and the build must still be one the entry covers: a
    caption alone never picks a key. Windows Server 23H2 (build 25398) says "Microsoft Windows
    Server Datacenter", the name of the 1809-20H2 Semi-Annual Channel rows, but Microsoft's
    table lists no key for it, so it fails with the "give product_key" message (issue 17
    point 4). An unknown build never matches.
    """
    eid = _normalize_edition_id(edition_id)
    if eid.endswith("eval"):
        raise NoGvlkForEdition(
            "the edition %s is an evaluation edition: convert it to a volume edition first "
            "(DISM /Online /Set-Edition) and then install its KMS client setup key" % edition_id
        )
    try:
        build_number = int(build) if build is not None else None
    except (TypeError, ValueError):
        build_number = None
    if eid and build_number is not None:
        found = [e for e in GVLK_TABLE if eid in (x.lower() for x in e.edition_ids) and e.matches_build(build_number)]
        if len(found) == 1:
            return found[0]
    cap = _normalize_caption(caption)
    if cap and build_number is not None:
        found = [e for e in GVLK_TABLE if cap in (n.lower() for n in e.editions) and e.matches_build(build_number)]
        if len(found) == 1:
            return found[0]
    raise NoGvlkForEdition(
        "no KMS client setup key is known for this machine (EditionID %r, build %r, caption %r): Microsoft's "
        "table lists no key for this edition and build; give product_key explicitly (see %s)"
        % (edition_id, build, caption, SOURCE_URL)
    )
