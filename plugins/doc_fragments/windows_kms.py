# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Common notes of kms_host, kms_client and kms_info.
    DOCUMENTATION = r"""
notes:
  - This is an action plugin. It runs on the controller, reads the licensing state of the Windows
    host with the small PowerShell module M(kmsops.kms.kms_licensing), plans the changes in Python,
    and sends the planned operations (CIM method calls of C(SoftwareLicensingService) and
    C(SoftwareLicensingProduct), registry writes under
    C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform), a restart of
    C(sppsvc)) back to that module. Nothing is written in check mode.
  - Product keys and Confirmation IDs are never returned; keys are shown by their last five
    characters only (what Windows reports as C(PartialProductKey)).
  - The slmgr.vbs equivalents are named in the option descriptions for people who know them;
    slmgr.vbs itself is not used.
attributes:
  platform:
    platforms: windows
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
requirements:
  - Windows Vista / Windows Server 2008 or later with PowerShell 5.1 (the CIM cmdlets).
"""
