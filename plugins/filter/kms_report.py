# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters ``kms_report_plan`` and ``kms_report_model`` (the discovery report of an inventory,
playbooks/report.yml); documented in kms_report_plan.yml and kms_report_model.yml. The logic is
in plugin_utils/_kms_report.py."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_report import (
    ReportError,
    build_model,
    build_plan,
)


def kms_report_plan(groups, hostvars, setup_var="_kms_report_setup"):
    try:
        return build_plan(groups, hostvars, setup_var=setup_var)
    except KmsOpsError as exc:
        raise AnsibleFilterError("kms_report_plan: %s" % exc) from None


def kms_report_model(
    plan, discoveries, hostvars, info_var="_kms_report_info", kms_hosts=None, generated="", inventory=""
):
    if not isinstance(plan, dict) or "sites" not in plan:
        raise AnsibleFilterError("kms_report_model: the input must be the result of kms_report_plan")
    if not isinstance(discoveries, list):
        raise AnsibleFilterError(
            "kms_report_model: discoveries must be the list of results of the "
            "kms_discover loop (registered_var.results)"
        )
    try:
        return build_model(
            plan,
            discoveries,
            hostvars,
            info_var=info_var,
            kms_hosts=kms_hosts or (),
            generated=generated,
            inventory=inventory,
        )
    except ReportError as exc:
        raise AnsibleFilterError("kms_report_model: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {
            "kms_report_plan": kms_report_plan,
            "kms_report_model": kms_report_model,
        }
