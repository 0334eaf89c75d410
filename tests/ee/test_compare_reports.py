# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""compare_reports.py leaves out only what a run draws (order, selection, time)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

REPORT = {
    "generated": "2026-11-30 02:00 UTC",
    "sites": [
        {
            "name": "core",
            "status": "ok",
            "verdict": "clients select kms1.core.lab.test",
            "selected": "kms1.core.lab.test",
            "candidates": [
                {
                    "order": 1,
                    "target": "kms1.core.lab.test",
                    "priority": 0,
                    "weight": 60,
                    "share": 59,
                    "addresses": ["10.78.1.11"],
                    "state": "answers",
                    "selected": True,
                },
                {
                    "order": 2,
                    "target": "kms2.core.lab.test",
                    "priority": 0,
                    "weight": 40,
                    "share": 39,
                    "addresses": ["10.78.1.12"],
                    "state": "answers",
                    "selected": False,
                },
            ],
            "flags": [],
            "picture": {
                "nodes": [
                    {"x": 10, "texts": [{"text": "kms1.core.lab.test"}]},
                    {"x": 20, "texts": [{"text": "kms2.core.lab.test"}]},
                ]
            },
        }
    ],
}


def compare(tmp_path, left, right):
    paths = []
    for name, data in (("controller.json", left), ("ee.json", right)):
        path = tmp_path / name
        path.write_text(json.dumps(data))
        paths.append(str(path))
    return subprocess.run(
        [sys.executable, os.path.join(HERE, "compare_reports.py"), *paths], capture_output=True, text=True, check=False
    )


def test_a_different_draw_and_time_agree(tmp_path):
    other = copy.deepcopy(REPORT)
    other["generated"] = "2026-11-30 02:05 UTC"
    site = other["sites"][0]
    site["candidates"].reverse()
    for order, cand in enumerate(site["candidates"], 1):
        cand["order"], cand["selected"] = order, order == 1
    site["selected"] = site["candidates"][0]["target"]
    site["verdict"] = "clients select " + site["selected"]
    site["picture"]["nodes"].reverse()  # the picture follows the draw
    proc = compare(tmp_path, REPORT, other)
    assert proc.returncode == 0, proc.stdout
    assert "the reports agree (1 site(s)" in proc.stdout


def test_reachability_or_a_flag_differs(tmp_path):
    other = copy.deepcopy(REPORT)
    other["sites"][0]["candidates"][1]["state"] = "no answer"
    other["sites"][0]["flags"].append({"domain": "core.lab.test", "targets": ["rogue.core.lab.test"]})
    proc = compare(tmp_path, REPORT, other)
    assert proc.returncode == 1
    assert '"answers" != EE "no answer"' in proc.stdout
    assert "flags" in proc.stdout
