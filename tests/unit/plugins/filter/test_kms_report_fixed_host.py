# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 5: the report never calls a client with a fixed KMS host "activated by" a host
outside the inventory from a stale discovered value."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kms_report_sample as sample

from ansible_collections.kmsops.kms.plugins.filter.kms_report import (
    kms_report_model,
    kms_report_plan,
)


def _row(**info):
    hostvars = sample.hostvars()
    hostvars["win1.iso.test"]["_kms_report_info"].update(info)
    plan = kms_report_plan(sample.GROUPS, hostvars)
    model = kms_report_model(plan, sample.discoveries(plan), hostvars, kms_hosts=sample.GROUPS["kms_hosts"])
    return next(row for row in model["windows"] if row["host"] == "win1.iso.test")


def test_discovered_host_outside_the_inventory_is_a_finding_without_a_fixed_host():
    row = _row(last_kms_host="rogue.iso.test")
    assert "activated by rogue.iso.test, which is not a KMS host of this inventory" in row["why"]


@pytest.mark.parametrize("fixed", [{"kms_host": "kms.iso.test"}, {"product_kms_host": "kms.iso.test"}])
def test_stale_discovered_value_behind_a_fixed_host_is_no_finding(fixed):
    """Older kms_info results may still carry the discovered value; a fixed host makes it stale."""
    row = _row(last_kms_host="rogue.iso.test", **fixed)
    assert row["why"] == "" and row["activated"] is True
    assert row["last_kms_host"] == "-" and row["fixed_kms_host"] == "kms.iso.test"
