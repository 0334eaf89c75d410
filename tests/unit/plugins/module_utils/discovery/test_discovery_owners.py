# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_discover owners=true: each candidate carries the owners recorded beside its SRV value."""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.discovery import _discovery as disc


class OwnedDns:
    def __init__(self):
        self.owner_queries = []

    def srv(self, domain):
        return (
            [
                {"priority": 0, "weight": 0, "port": 1688, "target": "kms9.branch.example"},
                {"priority": 10, "weight": 0, "port": 1688, "target": "KMS1.core.example"},
                {"priority": 5, "weight": 0, "port": 1688, "target": "old.branch.example"},
            ],
            disc.STATUS_OK,
            None,
        )

    def owners(self, domain):
        self.owner_queries.append(domain)
        return {(0, 0, 1688, "kms9.branch.example"): ["branch"], (10, 0, 1688, "kms1.core.example"): ["a", "central"]}

    def addresses(self, target):
        return ["192.0.2.1"], None


def test_candidates_carry_their_owners_and_unowned_values_an_empty_list():
    client = OwnedDns()
    result = disc.discover(["branch.example"], client=client, owners=True, seed=1)
    assert {c["target"]: c["owners"] for c in result["candidates"]} == {
        "kms9.branch.example": ["branch"],
        "KMS1.core.example": ["a", "central"],
        "old.branch.example": [],
    }
    assert client.owner_queries == ["branch.example"]


def test_without_owners_nothing_more_is_read_or_returned():
    client = OwnedDns()
    result = disc.discover(["branch.example"], client=client, seed=1)
    assert client.owner_queries == [] and all("owners" not in c for c in result["candidates"])
