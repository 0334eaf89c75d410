# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 points 3 and 7, read from the executor itself (PowerShell cannot run here): it does not
depend on the caller's $ErrorActionPreference, it returns the licensing code of a CIM exception,
and it reads the state back in a bounded retry that keeps what was applied."""

from __future__ import annotations

import os
import re

from conftest import REPO

with open(os.path.join(REPO, "plugins", "modules", "kms_licensing.ps1")) as _handle:
    PS1 = _handle.read()
CODE = "\n".join(line for line in PS1.splitlines() if not line.lstrip().startswith("#"))

# cmdlets whose failure must stop the operation (or the read): each call needs -ErrorAction Stop
MUST_STOP = (
    "Invoke-CimMethod",
    "New-ItemProperty",
    "Remove-ItemProperty",
    "Restart-Service",
    "New-NetFirewallRule",
    "Remove-NetFirewallRule",
    "Set-NetFirewallRule",
    "Get-CimInstance",
    "Get-NetFirewallPortFilter",
)
# where a missing object is no error: looked up with SilentlyContinue before acting
MAY_BE_MISSING = ("Get-NetFirewallRule", "Get-ItemProperty")


def calls(cmdlet):
    return [line for line in CODE.splitlines() if re.search(r"(^|[\s(|{])%s\b" % re.escape(cmdlet), line)]


def test_every_cmdlet_that_must_fail_has_error_action_stop():
    for cmdlet in MUST_STOP:
        found = calls(cmdlet)
        assert found, cmdlet
        for line in found:
            # the statement may continue on backtick-continued lines: New-NetFirewallRule
            statement = line
            if line.rstrip().endswith("`"):
                rest = CODE.split(line, 1)[1].splitlines()
                for more in rest[1:]:
                    statement += more
                    if not more.rstrip().endswith("`"):
                        break
            assert "-ErrorAction Stop" in statement, "%s without -ErrorAction Stop: %s" % (cmdlet, line.strip())


def test_lookups_of_what_may_be_missing_say_so_explicitly():
    for cmdlet in MAY_BE_MISSING:
        for line in calls(cmdlet):
            assert "-ErrorAction" in line, line.strip()


def test_the_executor_never_sets_error_action_preference():
    assert "$ErrorActionPreference" not in CODE


def test_the_licensing_code_is_the_hresult_of_a_cim_exception_written_0x_and_8_hex_digits():
    assert "'Microsoft.Management.Infrastructure.CimException'" in CODE
    assert "'0x{0:X8}' -f $exception.HResult" in CODE
    assert (
        "$failure = @{ index = $i; title = $operations[$i].title; code = $code; message = $_.Exception.Message }"
        in CODE
    )


def test_the_read_back_is_a_bounded_retry_that_keeps_what_was_applied():
    assert "Read-LicensingState $module.Params.read_attempts $module.Params.read_delay_seconds" in CODE
    assert re.search(r"for \(\$n = 1; \$n -le \[Math\]::Max\(1, \$attempts\); \$n\+\+\)", CODE)
    # applied is set before the read, so a failed read still returns it
    assert CODE.index("$module.Result.applied = @($applied)") < CODE.index("$read = Read-LicensingState")
    assert "$module.Result.state_error = $read.error" in CODE
