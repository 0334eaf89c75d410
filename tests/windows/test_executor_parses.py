# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PowerShell executor parses: tree-sitter-powershell finds no ERROR or MISSING node.

PowerShell cannot be installed on the CI machines (environment.md), so this parse is the syntax
check of plugins/modules/kms_licensing.ps1 that runs here; the executor double
(fake_kms_licensing.py) covers what it does. The second half proves the check catches broken
scripts (an ERROR node and a MISSING node), so it cannot pass by finding nothing.
"""

from __future__ import annotations

import os

import pytest
import tree_sitter
import tree_sitter_powershell
from conftest import REPO

EXECUTOR = os.path.join(REPO, "plugins", "modules", "kms_licensing.ps1")


def parse_problems(source):
    """[(kind, line, column)] of every ERROR or MISSING node of SOURCE (bytes); 1-based lines."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    tree = parser.parse(source)
    problems = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            kind = "MISSING %r" % node.type if node.is_missing else "ERROR"
            problems.append((kind, node.start_point[0] + 1, node.start_point[1] + 1))
        stack.extend(node.children)
    if tree.root_node.has_error and not problems:
        problems.append(("ERROR (root has_error)", 1, 1))
    return sorted(problems, key=lambda p: (p[1], p[2]))


def read_executor():
    with open(EXECUTOR, "rb") as handle:
        return handle.read()


def test_executor_parses_without_error_or_missing_nodes():
    source = read_executor()
    assert b"Invoke-Operation" in source and len(source) > 1000
    assert parse_problems(source) == []


def _drop_last_closing_brace(source):
    index = source.rfind(b"}")
    return source[:index] + source[index + 1 :]


def _unclose_switch(source):
    old = b"switch ($op.action)"
    assert old in source
    return source.replace(old, b"switch ($op.action", 1)


def _append_unclosed_condition(source):
    return source + b"\nif ($x -eq 1 { }\n"


@pytest.mark.parametrize(
    "what, breaker, kind",
    [
        # tree-sitter inserts a MISSING '}' for the block left open
        ("the last closing brace dropped", _drop_last_closing_brace, "MISSING"),
        ("the parenthesis of the operation switch left open", _unclose_switch, "ERROR"),
        ("a statement with an unclosed condition appended", _append_unclosed_condition, "ERROR"),
    ],
)
def test_parse_check_catches_a_broken_executor(what, breaker, kind):
    problems = parse_problems(breaker(read_executor()))
    assert problems, "the parse check missed %s" % what
    assert any(p[0].startswith(kind) for p in problems), problems
