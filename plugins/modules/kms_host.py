#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_host
short_description: Manage a Windows KMS host - host key, activation and KMS settings
version_added: 0.1.0
description:
  - Installs a KMS host key (CSVLK) on a Windows machine, activates it online or by telephone,
    and sets the KMS host settings (listening port, DNS auto-publishing, publish list, low
    priority, activation and renewal intervals).
  - "Order of a run: the key, the activation, then the host settings (port, firewall rule, DNS
    publishing, publish list, low priority, intervals), then one restart of the Software
    Protection service (C(sppsvc)) after the last change that needs it. Sources - for a new key,
    Microsoft's page \"Slmgr.vbs options for obtaining volume activation information\" (C(/ipk) -
    to prevent instability in the license service, the system or the Software Protection Service
    should be restarted); for the port, publishing, intervals and priority, slmgr.vbs itself (it
    prints that a KMS restart is needed for the setting to take effect after C(/sprt), C(/sdns),
    C(/cdns), C(/sai), C(/sri), C(/spri), C(/cpri)); the collection restarts for a changed publish
    list too (no Microsoft page says either way). The state is read back after the restart and the task fails
    if Windows does not report the settings asked for."
  - "Windows accepts the host settings only on an activated KMS host (the Windows product's
    C(IsKeyManagementServiceMachine) is 1 and the host key is licensed; slmgr.vbs reads the
    product's flag before C(/sprt), C(/sai)...). Before that they are never
    sent: they are reported in RV(pending_settings) (check mode and diff show them). When the run
    itself activates the host, they are planned again from the state read after the activation
    and applied in the same run."
  - Idempotent. A key that is already installed (same last five characters) is not reinstalled,
    a licensed host is not activated again, and replacing the installed key with another KMS
    host key is a planned change shown in the C(operations) and the diff.
  - "Telephone activation spans two runs: the first run (O(activation=phone), no
    O(confirmation_id)) installs the key and returns the Installation ID with
    RV(activation_pending=true); after the Activation Call Center gives the Confirmation ID, the
    second run with O(confirmation_id) deposits it and checks that Windows reports the host as
    licensed."
  - "After installing a KMS host key the task writes the C(KeyManagementServiceVersion) registry value
    (REG_SZ, the C(SoftwareLicensingService) version) under C(SoftwareProtectionPlatform), and under
    C(Wow6432Node) when that key exists, as slmgr.vbs C(/ipk) does (its C(InstallProductKey)); a host that
    has the key but not the value gets it. O(state=absent) deletes it in both places, as slmgr.vbs C(/ipk)
    does for a key that is not a KMS host key (unless another product, such as Office, has a KMS host
    key). Microsoft (\"Registry Settings for Volume Activation\") - the value is set for Microsoft
    Operations Manager (MOM) 2005 automatic discovery of the KMS and is deleted when the KMS is no
    longer functional on the computer."
  - "Never a key that is not a KMS host key: the channel of a key cannot be read from its text, so
    after installing it the task reads the product's C(Description) back and goes on (activation,
    settings, ledger record) only when Windows reports a KMS host key (C(VOLUME_KMS) channel; a
    Description holding C(VOLUME_KMS) but not C(VOLUME_KMSCLIENT), the test slmgr.vbs uses). A MAK
    (C(VOLUME_MAK)) or retail key (C(RETAIL)) given by mistake is left installed but never activated
    - no MAK activation is spent and the activation ledger is unchanged - and the task fails saying
    so. A key installed earlier that is not a KMS host key is refused before anything is sent. Check
    mode cannot install the key, so it says the activation will be refused unless the installed key
    reads back as C(VOLUME_KMS)."
  - "Errors carry the licensing error code: when Windows refuses an operation, the task message and
    RV(error) give the failing operation and the code as C(0x%08X) (the C(HResult) of the CIM
    exception Software Protection raises), and, for the codes Microsoft documents in
    \"Troubleshoot Windows activation error codes\" (Microsoft Learn, see RV(error)), the documented
    meaning and next step."
  - "Never lose what was applied: when the state cannot be read back after the operations (after the
    C(sppsvc) restart the service may still be starting) the read is tried 5 times, 3 seconds apart;
    if it still fails the task fails naming what could not be read, with RV(applied) and
    C(changed=true). Run the task again to verify."
  - "Guards from Microsoft's rules: a KMS host key is refused on a client edition of Windows
    unless O(allow_client_edition=true); a published KMS client setup key (GVLK) is always refused;
    Windows Server Datacenter Azure Edition is always refused (Microsoft does not support it as a
    KMS host);
    each activation this collection performs is recorded in an activation ledger on the
    controller (O(ledger_path)) and a seventh host on one key, or an eleventh activation of one
    host, is refused unless O(extra_hosts_granted) / O(extra_activations_granted) declare that
    Microsoft granted more."
  - "Publishing consistency with M(kmsops.kms.kms_publish): when the SRV records are published
    centrally by M(kmsops.kms.kms_publish), set O(dns_publishing=false) on the KMS hosts so they do
    not publish (and overwrite or duplicate) records themselves. O(publish_domains) is for hosts
    that publish their own records."
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - kmsops.kms.windows_kms.changes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - kmsops.kms.windows_kms
options:
  product_key:
    description:
      - The KMS host key (CSVLK), C(XXXXX-XXXXX-XXXXX-XXXXX-XXXXX). Checked for the product key
        format. Never logged or returned.
      - Required when O(state=present); not used with O(state=absent).
      - slmgr.vbs C(/ipk).
    type: str
  state:
    description:
      - V(present) installs the key and applies the settings.
      - V(absent) turns a KMS host back into a KMS client the way Microsoft documents it -
        installs the KMS client setup key of the machine's edition over the host key
        (slmgr.vbs C(/ipk <GVLK>), no C(/upk) first) and restarts C(sppsvc). The collection's
        firewall rule is removed too (unless O(manage_firewall=false)). Nothing happens when
        the machine is not a KMS host.
      - The SRV value that names the host in C(_vlmcs._tcp) stays in DNS (Windows does not remove
        it, and the host may not be the one that published it). Remove it with
        M(kmsops.kms.kms_publish) (O(kmsops.kms.kms_publish#module:state=absent) for this host,
        or O(kmsops.kms.kms_publish#module:prune=true) without it); the task says so in its message.
    type: str
    choices: [present, absent]
    default: present
  activation:
    description:
      - V(online) activates with Microsoft over the internet (slmgr.vbs C(/ato)).
      - V(phone) is telephone activation for hosts without internet access (isolated
        networks). See O(confirmation_id).
      - V(none) installs the key but does not activate.
    type: str
    choices: [online, phone, none]
    default: online
  confirmation_id:
    description:
      - The Confirmation ID the Activation Call Center gave for the Installation ID of the
        first run (48 digits, groups separated by C(-) or spaces are accepted).
      - Only with O(activation=phone), once the key is installed. slmgr.vbs C(/atp).
    type: str
  port:
    description:
      - TCP port the KMS host listens on (Windows default 1688). slmgr.vbs C(/sprt).
      - Takes effect after the C(sppsvc) restart the task plans. The built-in firewall rule
        C(SPPSVC-In-TCP) covers 1688 only; see O(manage_firewall).
      - When omitted, the port is left as it is and O(manage_firewall) opens the firewall for the port
        the host listens on now.
    type: int
  manage_firewall:
    description:
      - With V(true), KMS clients are let in on the port the host listens on.
      - "On port 1688 the built-in rule C(SPPSVC-In-TCP) is enabled (C(Set-NetFirewallRule -Name
        SPPSVC-In-TCP -Profile Domain,Private -Enabled True) with the default O(firewall_profiles)):
        it is off on a fresh host, and Microsoft's \"Create a KMS activation host\" enables it by hand.
        Its C(Enabled) is read back. A rule that is already enabled for the profiles asked for is
        left alone; an enabled rule missing some of them gets them added (its other profiles stay)."
      - Any other port gets an inbound TCP rule of the collection (one rule, named
        C(kmsops-kms-KMS-In-TCP), for O(firewall_profiles), moved when the port changes).
      - Moving the port back to 1688 enables C(SPPSVC-In-TCP) before the collection's rule is
        removed, so the host is never left without a rule for its port. RV(firewall_rule) says
        which rule lets clients in.
      - Like every host setting, the firewall change waits until the host is an activated KMS host
        (RV(pending_settings)). C(SPPSVC-In-TCP) is left enabled by O(state=absent).
      - A run never fails because of the firewall - when a rule cannot be read, created, enabled or
        removed, or does not read back as letting clients in, the task goes on and warns what to
        open. Windows 7 / Windows Server 2008 R2 have no firewall cmdlets (C(NetSecurity) module),
        so there the task always warns.
      - With V(false) the firewall is left alone and a port change warns which port to open.
    type: bool
    default: true
  firewall_profiles:
    description:
      - The Windows Firewall profiles the rule that lets KMS clients in applies to (with
        O(manage_firewall=true)).
      - The default is what Microsoft's example in "Create a KMS activation host" uses
        (C(-Profile Domain,Private)). Add V(Public) only for a KMS host whose clients reach it on a
        network Windows classifies as public.
    type: list
    elements: str
    choices: [Domain, Private, Public]
    default: [Domain, Private]
  dns_publishing:
    description:
      - Whether the host publishes its own C(_vlmcs._tcp) SRV record in DNS
        (slmgr.vbs C(/sdns) and C(/cdns)). Takes effect after the C(sppsvc) restart.
      - Set V(false) when M(kmsops.kms.kms_publish) publishes the records centrally.
    type: bool
  publish_domains:
    description:
      - The domains the host publishes its SRV record in, written as the
        C(DnsDomainPublishList) registry value (one C(domain,priority,weight) line each). An
        empty list removes the value.
      - The Software Protection service (C(sppsvc)) is restarted when the list changes.
      - "Microsoft contradicts itself on the host's own domain: \"Registry Settings for Volume
        Activation\" says of C(DnsDomainPublishList) that the KMS home domain is always used, so it
        need not be listed; \"Deploy KMS Activation\" says that setting this value suspends the
        default behaviour of publishing in the domain of the Primary DNS Suffix. What is safe under
        both: the host's own domain (its primary DNS suffix, read on the host) is added to the list
        that is written (priority 0, weight 0) unless it is listed already or
        O(publish_own_domain=false)."
    type: list
    elements: dict
    suboptions:
      domain:
        description: DNS domain to publish the SRV record in.
        type: str
        required: true
      priority:
        description: SRV priority (0..65535, lower is preferred).
        type: int
        default: 0
      weight:
        description: SRV weight (0..65535) inside one priority.
        type: int
        default: 0
  publish_own_domain:
    description:
      - When O(publish_domains) is written, also publish in the host's own domain (its primary DNS
        suffix), priority 0 and weight 0, unless the list names it already. See O(publish_domains) for
        why (two Microsoft pages disagree on whether the list replaces the home domain).
      - V(false) writes exactly the list given (the host may then not publish in its own domain).
      - A host without a primary DNS suffix gets a warning and the list as given.
    type: bool
    default: true
  low_priority:
    description:
      - V(true) runs the KMS service at low priority (slmgr.vbs C(/cpri)), V(false) at normal
        priority (slmgr.vbs C(/spri)). Set with the CIM method
        C(EnableKeyManagementServiceLowPriority), read back from the WMI property
        C(KeyManagementServiceLowPriority); C(sppsvc) is restarted when it changes.
    type: bool
  activation_interval:
    description:
      - Minutes a KMS client waits before retrying an activation that failed (15 to 43200,
        Windows default 120). slmgr.vbs C(/sai). Takes effect after the C(sppsvc) restart.
    type: int
  renewal_interval:
    description:
      - Minutes between renewals of an activated KMS client (15 to 43200, Windows default 10080).
        slmgr.vbs C(/sri). Takes effect after the C(sppsvc) restart.
    type: int
  allow_client_edition:
    description:
      - Allow installing a KMS host key on a client edition of Windows (Windows 10/11). Only for a
        client that is meant to be a KMS host for other clients. It never allows an Azure Edition.
    type: bool
    default: false
  ledger_path:
    description:
      - JSON file on the controller that records every activation this collection performs
        (key fingerprint and last five characters, never the key), so the per-key host limit and
        the per-host activation limit can be enforced across runs.
      - Keep it with the inventory, under version control, when several people or machines run
        the playbooks.
      - Default C(~/.ansible/kmsops.kms/activation-ledger.json).
    type: path
  extra_hosts_granted:
    description:
      - Number of additional KMS hosts Microsoft allowed for this key beyond the standard 6.
    type: int
    default: 0
  extra_activations_granted:
    description:
      - Number of additional activations per host Microsoft allowed beyond the standard 10.
    type: int
    default: 0
seealso:
  - module: kmsops.kms.kms_client
  - module: kmsops.kms.kms_info
  - module: kmsops.kms.kms_publish
    description: Publishes and removes the C(_vlmcs._tcp) SRV values of KMS hosts; O(state=absent) leaves them in DNS.
  - name: Troubleshoot Windows activation error codes
    description: The meaning and next step of the licensing error codes RV(error) explains.
    link: https://learn.microsoft.com/troubleshoot/windows-server/licensing-and-activation/troubleshoot-activation-error-codes
  - name: Activate using Key Management Service
    description: Microsoft's guide to KMS hosts.
    link: https://learn.microsoft.com/windows/deployment/volume-activation/activate-using-key-management-service-vamt
"""

EXAMPLES = r"""
- name: Install and activate the KMS host key; DNS records are published centrally
  kmsops.kms.kms_host:
    product_key: "{{ vault_kms_host_key }}"
    activation: online
    dns_publishing: false
    ledger_path: "{{ inventory_dir }}/kms-activation-ledger.json"

- name: Let the host publish itself in two domains, the branch preferred
  kmsops.kms.kms_host:
    product_key: "{{ vault_kms_host_key }}"
    dns_publishing: true
    publish_domains:
      - domain: branch1.example.com
        priority: 0
      - domain: example.com
        priority: 10
        weight: 50

- name: Isolated network, first run - install the key and get the Installation ID
  kmsops.kms.kms_host:
    product_key: "{{ vault_kms_host_key }}"
    activation: phone
  register: kms_phone

- name: Show what to read to the Activation Call Center
  ansible.builtin.debug:
    msg: "Installation ID: {{ kms_phone.installation_id }}"
  when: kms_phone.activation_pending

- name: Isolated network, second run - deposit the Confirmation ID
  kmsops.kms.kms_host:
    product_key: "{{ vault_kms_host_key }}"
    activation: phone
    confirmation_id: "{{ kms_confirmation_id }}"
"""

RETURN = r"""
operations:
  description: The planned operations, in order (in check mode nothing was applied).
  returned: success
  type: list
  elements: dict
  sample: [{"action": "service", "method": "InstallProductKey",
            "title": "Install the KMS host key *****-*****-*****-*****-6VM33"}]
applied:
  description: Titles of the operations that were applied in this run (empty in check mode).
  returned: always
  type: list
  elements: str
pending_settings:
  description:
    - Titles of the host settings not sent because the host is not an activated KMS host yet.
      In check mode on a host this run activates, the settings applied right after the activation.
  returned: success
  type: list
  elements: str
  sample: ["Set the KMS listening port to 1700"]
firewall_rule_port:
  description: The port of the collection's firewall rule C(kmsops-kms-KMS-In-TCP), null when there is none.
  returned: success
  type: int
firewall_rule:
  description:
    - The Windows Firewall rule that lets KMS clients in on the listening port, as read back -
      C(SPPSVC-In-TCP) on 1688 when it is enabled, C(kmsops-kms-KMS-In-TCP) on another port when it
      is on that port - or null when neither does.
  returned: success
  type: str
  sample: SPPSVC-In-TCP
firewall_builtin_enabled:
  description: C(Enabled) of the built-in rule C(SPPSVC-In-TCP) as read back; null when it does not exist or
    cannot be read.
  returned: success
  type: bool
error:
  description:
    - When Windows refused an operation - C(operation) (its title), C(message), C(code) (the
      licensing error code, C(0x%08X)) and, for a code Microsoft documents, C(meaning), C(next_step)
      and C(source).
  returned: when an operation failed
  type: dict
  sample: {"operation": "Activate the KMS host online", "code": "0xC004C008", "meaning": "...", "next_step": "..."}
activation_pending:
  description: True when telephone activation waits for a Confirmation ID.
  returned: success
  type: bool
installation_id:
  description: The Installation ID to read to the Activation Call Center, when RV(activation_pending).
    In check mode before the key is installed it is not known yet (null).
  returned: success
  type: str
license_status:
  description: Licence status name (Unlicensed, Licensed, OOBGrace, OOTGrace, NonGenuineGrace, Notification,
    ExtendedGrace).
  returned: success
  type: str
  sample: Licensed
license_status_code:
  description: C(SoftwareLicensingProduct.LicenseStatus).
  returned: success
  type: int
is_kms_host:
  description: Whether Windows is a KMS host (the product-level C(IsKeyManagementServiceMachine) of the Windows
    product).
  returned: success
  type: bool
partial_product_key:
  description: Last five characters of the installed key.
  returned: success
  type: str
current_count:
  description: C(KeyManagementServiceCurrentCount), machines the host has seen (-1 when it is not a KMS host;
    the CIM value 4294967295 is reported as -1).
  returned: success
  type: int
required_count:
  description: C(RequiredClientCount), the count needed before clients activate.
  returned: success
  type: int
port:
  description: Listening port.
  returned: success
  type: int
dns_publishing:
  description: Whether the host publishes its SRV record itself.
  returned: success
  type: bool
publish_domains:
  description: The DnsDomainPublishList entries.
  returned: success
  type: list
  elements: dict
low_priority:
  description: Whether the KMS service runs at low priority.
  returned: success
  type: bool
activation_interval:
  description: Activation retry interval in minutes.
  returned: success
  type: int
renewal_interval:
  description: Renewal interval in minutes.
  returned: success
  type: int
ledger:
  description: Ledger counts for the activation of this run (hosts on the key, activations of this host, limits, path).
  returned: when this run activates
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_HOST_SPEC


def main():
    module = AnsibleModule(**KMS_HOST_SPEC)
    module.fail_json(msg="kmsops.kms.kms_host runs as an action plugin; this file holds its documentation")


if __name__ == "__main__":
    main()
