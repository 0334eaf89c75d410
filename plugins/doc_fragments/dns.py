# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the DNS modules: the server and the TSIG key."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  server:
    description:
      - The primary DNS server to read from and send RFC 2136 dynamic updates to.
      - A host name, an IPv4 address or an IPv6 address.
    type: str
    required: true
  server_port:
    description:
      - The port of O(server).
    type: int
    default: 53
  protocol:
    description:
      - Transport for queries and updates. Over V(tcp) one connection is opened per task and reused
        for every query and update.
    type: str
    choices: [tcp, udp]
    default: tcp
  timeout:
    description:
      - Seconds to wait for a connection or an answer.
    type: float
    default: 10.0
  key_name:
    description:
      - Name of the TSIG key (RFC 8945) that signs every query and update.
      - Required with O(key_secret). With O(key_file) it picks one key out of a file that holds several.
    type: str
  key_secret:
    description:
      - The base64 secret of the TSIG key O(key_name). Never logged or shown in output.
      - Mutually exclusive with O(key_file).
    type: str
  key_algorithm:
    description:
      - The HMAC algorithm of O(key_secret). O(key_file) names its own algorithm.
    type: str
    default: hmac-sha256
    choices:
      - hmac-md5
      - hmac-sha1
      - hmac-sha224
      - hmac-sha256
      - hmac-sha256-128
      - hmac-sha384
      - hmac-sha384-192
      - hmac-sha512
      - hmac-sha512-256
  key_file:
    description:
      - A BIND key file as written by C(tsig-keygen) (C(key "name" { algorithm ...; secret "..."; };)),
        instead of O(key_name) and O(key_secret).
      - The file is read on the host that runs the module.
    type: path
  allow_unsigned:
    description:
      - Send unsigned queries and updates when no TSIG key is given.
      - Without a key and without this option the module fails before sending anything, so an
        update is never unsigned by accident.
    type: bool
    default: false
notes:
  - All DNS modules belong to the action group C(kmsops.kms.dns), so
    C(module_defaults) with C(group/kmsops.kms.dns) sets the server and key once for a play.
  - >-
    Values are compared as parsed record data, not as text, so C(0 0 1688 KMS1.corp.example.) equals
    C({priority: 0, weight: 0, port: 1688, target: kms1.corp.example}).
  - Every changed RRset is guarded by an RFC 2136 prerequisite stating what was read. When another
    writer changes the RRset between the read and the update, the server rejects the update, the
    module reads again and plans again (up to 20 times, with random waits of up to a second) and never overwrites the other writer's values.
requirements:
  - dnspython >= 2.3.0 on the host that runs the module
"""

    # Attributes every DNS module of the collection shares.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Reads the RRsets and reports what would change; sends no UPDATE.
  diff_mode:
    support: full
    description: Shows every changed RRset before and after as zone-file lines.
  action_group:
    support: full
    membership:
      - kmsops.kms.dns
    description: Use C(group/kmsops.kms.dns) in C(module_defaults) to set the server and key once.
"""
