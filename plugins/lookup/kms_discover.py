# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kms_discover
short_description: Find the KMS hosts a client finds, in fail-over order, from the controller
version_added: 0.1.0
description:
  - The controller-side twin of the M(kmsops.kms.kms_discover) module, with one shared
    implementation. Reads C(_vlmcs._tcp.<domain>) SRV records for each domain, the targets'
    A/AAAA records, orders the targets by RFC 2782, optionally probes them with a TCP connect,
    and returns the ordered candidates and the one a client would use.
  - Runs on the controller, with the controller's DNS view. To check a network the controller
    cannot see (an isolated network), run the module on a host inside it instead.
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - kmsops.kms.discovery
options:
  _terms:
    description:
      - The client's DNS suffix search list, in the order the client tries it.
      - The same as O(domains); give the domains one way or the other, not both.
      - When neither terms nor O(domains) are given, the controller's own search list
        (C(/etc/resolv.conf)) is used.
    type: list
    elements: str
    required: false
  domains:
    description:
      - The client's DNS suffix search list, as a keyword (C(domains=[...])), the same option the
        M(kmsops.kms.kms_discover) module takes. An alternative to the terms.
      - Each is a domain without C(_vlmcs._tcp.), which is put in front of it; a domain whose first
        label starts with C(_) (C(_vlmcs._tcp.corp.example)) is refused.
    type: list
    elements: str
notes:
  - A keyword the lookup does not know (a misspelt option) is an error, not silently ignored.
seealso:
  - module: kmsops.kms.kms_discover
  - plugin: kmsops.kms.srv_order
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show which KMS host a branch client picks, and the fail-over list
  ansible.builtin.debug:
    msg: >-
      {{ found.selected.target | default('none') }} then
      {{ found.candidates | map(attribute='target') | list }}
  vars:
    found: "{{ lookup('kmsops.kms.kms_discover', 'branch.corp.example', 'corp.example',
                      nameservers=['192.0.2.53'], probe=true) }}"

- name: Fail when a domain has no KMS record
  ansible.builtin.assert:
    that: found.errors | length == 0
    fail_msg: "{{ found.errors | map(attribute='msg') | join('; ') }}"
  vars:
    found: "{{ lookup('kmsops.kms.kms_discover', 'corp.example', seed=1) }}"

- name: The domains as a keyword, as the module takes them
  ansible.builtin.debug:
    msg: "{{ lookup('kmsops.kms.kms_discover', domains=['branch.corp.example', 'corp.example']) }}"
"""

RETURN = r"""
_raw:
  description:
    - One dictionary (use C(lookup), or C(query) for a list holding it) with the keys the
      module returns - C(candidates) (ordered; each with C(domain), C(target), C(port),
      C(priority), C(weight), C(addresses), C(reachable), C(reached_address), C(error)),
      C(selected) (the candidate a client ends up with, or V(null)), C(domains) (status per
      domain) and C(errors) (domains that answered NXDOMAIN, NODATA, timeout and so on).
    - See the M(kmsops.kms.kms_discover) module for every key.
  type: list
  elements: dict
"""

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.discovery._discovery import (
    HAS_DNSPYTHON,
    discover,
    read_search_list,
)


def _flatten(terms):
    for term in terms:
        if isinstance(term, (list, tuple)):
            yield from _flatten(term)
        else:
            yield term


class LookupModule(LookupBase):
    def _known_options(self):
        """The option names of this lookup (its DOCUMENTATION and the discovery doc fragment)."""
        definitions = C.config.get_configuration_definitions("lookup", self._load_name) or {}
        return [name for name in definitions if not name.startswith("_")]

    def run(self, terms, variables=None, **kwargs):
        if not HAS_DNSPYTHON:
            raise AnsibleError(
                "the kmsops.kms.kms_discover lookup needs the dnspython Python "
                "library on the controller (pip install dnspython)"
            )
        known = set(self._known_options())
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise AnsibleLookupError(
                "kms_discover: unknown keyword(s) %s; the lookup takes %s"
                % (", ".join(unknown), ", ".join(sorted(known)))
            )
        self.set_options(var_options=variables, direct=kwargs)
        from_terms = [str(term) for term in _flatten(terms or [])]
        from_option = [str(domain) for domain in _flatten(self.get_option("domains") or [])]
        if from_terms and from_option:
            raise AnsibleLookupError("kms_discover: domains: give the domains as terms or as domains=, not both")
        try:
            domains = from_terms or from_option or read_search_list()
            result = discover(
                domains,
                nameservers=self.get_option("nameservers"),
                dns_port=self.get_option("dns_port"),
                probe=self.get_option("probe"),
                timeout=self.get_option("timeout"),
                seed=self.get_option("seed"),
            )
        except KmsOpsError as exc:
            raise AnsibleLookupError("kms_discover: %s" % to_native(exc)) from None
        return [result]
