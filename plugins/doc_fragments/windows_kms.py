# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Common notes of kms_host, kms_client and kms_info.
    DOCUMENTATION = r"""
notes:
  - This is an action plugin. It runs on the controller, reads the licensing state of the Windows
    host with the small PowerShell module M(kmsops.kms.kms_licensing), plans the changes in Python,
    and sends the planned operations (CIM method calls of C(SoftwareLicensingService) and
    C(SoftwareLicensingProduct), the C(DnsDomainPublishList) value under
    C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform), one
    Windows Firewall rule for a custom KMS port, a restart of C(sppsvc)) back to that module.
    Nothing is written in check mode.
  - When Windows refuses an operation, the task fails with the operation, the licensing error code
    as C(0x%08X) (the C(HResult) of the CIM exception Software Protection raises) and, for the codes
    Microsoft documents in "Troubleshoot Windows activation error codes", the meaning and next step;
    the same is returned as C(error). When the state cannot be read back after applying, the read is
    retried (5 times, 3 seconds apart) and the task then fails naming what could not be read, with
    C(applied) and C(changed=true).
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
  - "Supported: Windows Server 2016 / Windows 10 (build 14393 / 10240) and later, with PowerShell 5.1
    and the .NET Framework 4 - what ansible-core itself supports on a managed Windows host (its
    Windows guide)."
  - "May work, not supported: Windows 7 / Windows Server 2008 R2 (build 7600) to Windows 8.1 / Windows
    Server 2012 R2 with Windows Management Framework 5.1 and .NET Framework 4 installed; the task
    warns. The KMS lookup-domain methods (O(kmsops.kms.kms_client#module:kms_domain)) need Windows 8
    / Windows Server 2012 (build 9200)."
  - "Refused with a clear message (read on the host before anything is planned): builds older than
    7600, PowerShell older than 5.1, no .NET Framework 4 (WMF 5.1 does not install on Vista / Server
    2008)."
"""

    # kmsops.kms.windows_kms.changes: the modules that change the host (kms_host, kms_client).
    # Listed before ansible.builtin.action_common_attributes, whose support N/A must not win.
    CHANGES = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""
