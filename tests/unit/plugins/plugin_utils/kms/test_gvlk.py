# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._gvlk import (
    GVLK_TABLE,
    NoGvlkForEdition,
    find_gvlk,
    is_gvlk,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import normalize_product_key


def test_every_gvlk_entry_is_a_well_formed_key():
    for entry in GVLK_TABLE:
        assert normalize_product_key(entry.key) == entry.key, entry.editions


def test_every_gvlk_entry_has_names_edition_ids_and_build_ranges():
    for entry in GVLK_TABLE:
        assert entry.editions and all(isinstance(n, str) and n for n in entry.editions)
        assert entry.edition_ids
        assert all(low <= high for low, high in entry.builds)


def test_gvlk_keys_are_unique():
    keys = [e.key for e in GVLK_TABLE]
    assert len(keys) == len(set(keys))


def test_no_two_entries_claim_the_same_edition_and_build():
    seen = {}
    for entry in GVLK_TABLE:
        for eid in entry.edition_ids:
            for low, high in entry.builds:
                for other_low, other_high, other in seen.get(eid.lower(), []):
                    assert high < other_low or low > other_high, (entry.editions, other.editions)
                seen.setdefault(eid.lower(), []).append((low, high, entry))


def test_table_contains_the_published_server_2022_datacenter_key():
    assert is_gvlk("WX4NM-KYWYW-QJJR4-XV3QB-6VM33")
    assert is_gvlk("wx4nmkywywqjjr4xv3qb6vm33")


def test_a_kms_host_key_is_not_a_gvlk():
    assert not is_gvlk("BCDFG-HJKMP-QRTVW-XY234-6789B")
    assert not is_gvlk("not a key")


@pytest.mark.parametrize(
    "edition_id, build, key",
    [
        ("ServerDatacenter", 20348, "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"),
        ("ServerStandard", 20348, "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"),
        ("ServerDatacenterCor", 20348, "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"),
        ("ServerStandard", 26100, "TVRH6-WHNXV-R9WG3-9XRFY-MY832"),
        ("ServerTurbine", 20348, "NTBV8-9K7Q8-V27C6-M2BTV-KHMXV"),
        ("ServerStandard", 17763, "N69G4-B89J2-4G8F4-WWYCC-J464C"),
        ("ServerSolution", 14393, "JCKRF-N37P4-C2D82-9YXRT-4M63B"),
        ("ServerDatacenter", 19042, "6NMRW-2C8FM-D24W7-TQWMY-CWH2D"),
        ("ServerStandard", 9600, "D2N9P-3P6X9-2R39C-7RTCD-MDVJX"),
        ("ServerDatacenter", 7601, "74YFP-3QFB3-KQT8W-PMXWJ-7M648"),
        ("Enterprise", 22631, "NPPR9-FWDCX-D2C8J-H872K-2YT43"),
        ("Professional", 19045, "W269N-WFGWX-YVC9B-4J6C9-T83GX"),
        ("EducationN", 26100, "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ"),
        ("EnterpriseS", 26100, "M7XTQ-FN8P6-TTKYV-9D4CC-J462D"),
        ("EnterpriseS", 19044, "M7XTQ-FN8P6-TTKYV-9D4CC-J462D"),
        ("EnterpriseS", 14393, "DCPHK-NFMTC-H88MJ-PFHPY-QJ4BJ"),
        ("EnterpriseSN", 10240, "2F77B-TNFGY-69QQF-B8YKP-D69TJ"),
        ("IoTEnterpriseS", 19044, "KBN8V-HFGQ4-MGXVD-347P6-PDQGT"),
        ("Enterprise", 9600, "MHF9N-XY6XB-WVXMC-BTDCT-MKKG7"),
        ("Professional", 7601, "FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4"),
    ],
)
def test_auto_picks_the_key_of_the_edition_and_build(edition_id, build, key):
    assert find_gvlk(edition_id, build).key == key


def test_auto_falls_back_to_the_caption_of_a_listed_build():
    assert find_gvlk(None, 17763, "Microsoft Windows Server 2019 Datacenter").key == "WMDGN-G9PQG-XVVXX-R3X43-63DFG"
    assert find_gvlk("ServerDatacenterACor", 19042, "Microsoft Windows Server Datacenter").key == (
        "6NMRW-2C8FM-D24W7-TQWMY-CWH2D"
    )


@pytest.mark.parametrize(
    "edition_id, build, caption",
    [
        # Windows Server 23H2: the caption of the 1809-20H2 SAC rows, a build Microsoft's table does not list
        ("ServerDatacenter", 25398, "Microsoft Windows Server Datacenter"),
        ("ServerStandard", 25398, "Microsoft Windows Server Standard"),
        (None, 25398, "Microsoft Windows Server Datacenter"),
        # a caption that names a listed edition, on a build that edition never had
        (None, 22631, "Microsoft Windows Server 2019 Datacenter"),
        # no build: a caption alone never picks a key
        (None, None, "Microsoft Windows Server 2019 Datacenter"),
    ],
)
def test_auto_caption_fallback_must_match_the_build(edition_id, build, caption):
    """Issue 17 point 4: no guess by caption on a build the table does not list."""
    with pytest.raises(NoGvlkForEdition, match="lists no key for this edition and build; give product_key explicitly"):
        find_gvlk(edition_id, build, caption)


def test_auto_refuses_an_evaluation_edition():
    with pytest.raises(NoGvlkForEdition, match="evaluation"):
        find_gvlk("ServerDatacenterEval", 20348)


def test_auto_fails_clearly_for_an_unknown_edition():
    with pytest.raises(NoGvlkForEdition, match="give product_key explicitly"):
        find_gvlk("Core", 22631, "Microsoft Windows 11 Home")
