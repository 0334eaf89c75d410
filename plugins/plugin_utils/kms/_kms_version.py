# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``KeyManagementServiceVersion`` registry value that slmgr.vbs /ipk keeps beside a key.

slmgr.vbs (its InstallProductKey, which ships with Windows) writes, after installing a key and
calling RefreshLicenseStatus: when an installed product is a KMS host (its Description has
VOLUME_KMS but not VOLUME_KMSCLIENT), the REG_SZ ``KeyManagementServiceVersion`` = the
SoftwareLicensingService ``Version`` under
``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SoftwareProtectionPlatform`` and under
``HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\Windows NT\\CurrentVersion\\SoftwareProtectionPlatform``
when that key exists; otherwise it deletes the value in both places (a missing value is no
error). Microsoft ("Registry Settings for Volume Activation"): REG_SZ, set for Microsoft
Operations Manager (MOM) 2005 automatic discovery of the KMS, deleted when the KMS is no longer
functional on the computer. The page names no Wow6432Node copy and no moment to write it; the
collection does what slmgr.vbs does.
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import other_kms_host_products

VALUE = "KeyManagementServiceVersion"


def _targets(state):
    registry = state.get("registry") or {}
    wow = state.get("registry_wow6432") or {}
    targets = [("native", registry.get(VALUE), "")]
    if wow.get("present"):
        targets.append(("wow6432", wow.get(VALUE), " under Wow6432Node"))
    return targets


def plan_kms_version(plan, state, force):
    """After a KMS host key install (``force``: slmgr rewrites the value), or to add the value
    where it is missing on a KMS host (never to follow a newer service Version)."""
    version = str((state.get("service") or {}).get("Version") or "").strip()
    if not version:
        plan.warnings.append(
            "Windows reported no SoftwareLicensingService Version: %s (which slmgr.vbs /ipk "
            "writes for a KMS host key) was not written" % VALUE
        )
        return
    for view, current, where in _targets(state):
        if force or current in (None, ""):
            op = dict(name=VALUE, type="String", value=version)
            if view != "native":
                op["view"] = view
            plan.add(
                "Write %s %s%s (as slmgr.vbs /ipk does for a KMS host key)" % (VALUE, version, where),
                "registry_set",
                **op,
            )


def remove_kms_version(plan, state):
    """After installing a key that is not a KMS host key: delete the value where it is set,
    unless another installed product (Office) is a KMS host."""
    if other_kms_host_products(state):
        return
    for view, current, where in _targets(state):
        if current not in (None, ""):
            op = dict(name=VALUE)
            if view != "native":
                op["view"] = view
            plan.add(
                "Delete %s%s (as slmgr.vbs /ipk does for a key that is not a KMS host key)" % (VALUE, where),
                "registry_remove",
                **op,
            )
