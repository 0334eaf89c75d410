# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft's KMS host key limits, the activation ledger, and the inventory check.

Rules (Microsoft's volume licensing): one KMS host key activates at most 6 KMS hosts, and each
host can be activated at most 10 times with the same key (the first activation plus 9
reactivations). Organisations can ask Microsoft for more; the user declares such grants with
``extra_hosts_granted`` / ``extra_activations_granted``.

The ledger is a JSON file on the controller. It never holds a product key: a key is recorded by
a one-way fingerprint and its last five characters. Writers take an exclusive ``flock`` on a
side lock file, so parallel forks of one controller do not lose each other's records; an
activation is reserved (``attempted``) before it is sent to Windows, so two forks cannot both
take the last free slot.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl  # the ledger lives on the controller, which is always POSIX
import json
import os
import tempfile
import uuid
from typing import Any

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    GuardRefused,
    InvalidSetting,
    LedgerError,
    key_fingerprint,
    mask_key,
    partial_key,
)

MAX_HOSTS_PER_KEY = 6
MAX_ACTIVATIONS_PER_HOST = 10
LEDGER_VERSION = 1
_COUNTED = ("attempted", "activated")


def empty_ledger():
    return {"version": LEDGER_VERSION, "keys": {}}


def _validate(data, path):
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise LedgerError("the activation ledger %s is not a kmsops.kms ledger (no 'keys' mapping)" % path)
    if data.get("version") != LEDGER_VERSION:
        raise LedgerError(
            "the activation ledger %s has version %r; this collection reads version %d"
            % (path, data.get("version"), LEDGER_VERSION)
        )
    return data


def load_ledger(path):
    """Read the ledger; a missing file is an empty ledger."""
    try:
        with open(path, encoding="utf-8") as handle:
            return _validate(json.load(handle), path)
    except FileNotFoundError:
        return empty_ledger()
    except ValueError as exc:
        raise LedgerError("the activation ledger %s is not valid JSON: %s" % (path, exc)) from None
    except OSError as exc:
        raise LedgerError("cannot read the activation ledger %s: %s" % (path, exc)) from None


def _write_ledger(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kms-ledger-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked_ledger(path):
    """Yield the ledger data under an exclusive lock; write it back when the block succeeds."""
    directory = os.path.dirname(os.path.abspath(path))
    with contextlib.ExitStack() as stack:
        try:
            os.makedirs(directory, exist_ok=True)
            lock = stack.enter_context(open(path + ".lock", "a"))
        except OSError as exc:
            raise LedgerError("cannot open the activation ledger %s: %s" % (path, exc)) from None
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            data = load_ledger(path)
            yield data
            try:
                _write_ledger(path, data)
            except OSError as exc:
                raise LedgerError("cannot write the activation ledger %s: %s" % (path, exc)) from None
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def usage(data, fingerprint):
    """{host: number of counted activations} for one key."""
    entry = data["keys"].get(fingerprint) or {}
    result = {}
    for host, records in (entry.get("hosts") or {}).items():
        counted = sum(1 for r in records if r.get("result") in _COUNTED)
        if counted:
            result[host] = counted
    return result


def check_activation(data, key, host, extra_hosts_granted=0, extra_activations_granted=0):
    """Raise GuardRefused when one more activation of ``host`` with ``key`` breaks the limits."""
    fp = key_fingerprint(key)
    used = usage(data, fp)
    host_limit = MAX_HOSTS_PER_KEY + int(extra_hosts_granted or 0)
    activation_limit = MAX_ACTIVATIONS_PER_HOST + int(extra_activations_granted or 0)
    if host not in used and len(used) >= host_limit:
        raise GuardRefused(
            "the KMS host key %s already activated %d hosts (%s); Microsoft allows %d per key. "
            "If Microsoft granted more activations, set extra_hosts_granted"
            % (mask_key(key), len(used), ", ".join(sorted(used)), host_limit)
        )
    if used.get(host, 0) >= activation_limit:
        raise GuardRefused(
            "host %s was already activated %d times with the KMS host key %s; Microsoft allows %d "
            "activations per host. If Microsoft granted more, set extra_activations_granted"
            % (host, used[host], mask_key(key), activation_limit)
        )
    return {
        "hosts": len(used) + (0 if host in used else 1),
        "host_activations": used.get(host, 0) + 1,
        "host_limit": host_limit,
        "activation_limit": activation_limit,
    }


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def reserve_activation(data, key, host, method, now=None):
    """Add an 'attempted' record; return its id (mark it done with complete_activation)."""
    fp = key_fingerprint(key)
    entry = data["keys"].setdefault(fp, {"partial_key": partial_key(key), "hosts": {}})
    record_id = str(uuid.uuid4())
    entry["hosts"].setdefault(host, []).append(
        {"id": record_id, "time": now or _now(), "method": method, "result": "attempted"}
    )
    return record_id


def complete_activation(data, key, host, record_id, result):
    """Set the result ('activated' or 'failed') of a reserved record."""
    if result not in ("activated", "failed"):
        raise ValueError(result)
    entry = data["keys"].get(key_fingerprint(key)) or {}
    for record in (entry.get("hosts") or {}).get(host, []):
        if record.get("id") == record_id:
            record["result"] = result
            return True
    return False


def granted_extra_hosts(extra_hosts_granted, partial):
    """Extra hosts Microsoft granted for the key whose last five characters are ``partial``.

    ``extra_hosts_granted`` is a number for every key, or a mapping from a key's last five
    characters to a number (keys not in the mapping: 0). The inventory check and the KMS host
    task both read the setting through this function, so they agree.
    """
    if isinstance(extra_hosts_granted, dict):
        value = {str(k).strip().upper(): v for k, v in extra_hosts_granted.items()}.get(str(partial or "").upper(), 0)
    else:
        value = extra_hosts_granted
    if isinstance(value, bool):
        raise InvalidSetting(
            "extra_hosts_granted must be a number or a mapping of a key's last five "
            "characters to a number, got %r" % (value,)
        )
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        raise InvalidSetting(
            "extra_hosts_granted must be a number or a mapping of a key's last five "
            "characters to a number, got %r" % (value,)
        ) from None
    if number < 0:
        raise InvalidSetting("extra_hosts_granted must not be negative, got %d" % number)
    return number


def check_key_assignments(assignments, extra_hosts_granted=0, ledger=None):
    """Inventory check: no KMS host key is assigned to more hosts than allowed.

    ``assignments`` maps host name -> KMS host key (hosts with no key, None or '' are skipped), or
    is a list of ``{'host': ..., 'key': ...}``. ``extra_hosts_granted`` is an int for every key or
    a mapping from a key's last five characters to an int. With ``ledger`` (ledger data), hosts
    the ledger already counts for a key are added to the inventory's hosts.

    Returns a list of ``{'key': masked key, 'hosts': [...], 'limit': n}``; raises GuardRefused
    naming every key over its limit (keys masked).
    """
    if isinstance(assignments, dict):
        pairs = list(assignments.items())
    elif isinstance(assignments, (list, tuple)):
        try:
            pairs = [(item["host"], item.get("key")) for item in assignments]
        except (TypeError, KeyError):
            raise GuardRefused("key assignments must be a mapping host -> key or a list of {host, key}") from None
    else:
        raise GuardRefused("key assignments must be a mapping host -> key or a list of {host, key}")
    groups: dict[str, dict[str, Any]] = {}  # fingerprint -> {"partial", "hosts"}
    for host, key in pairs:
        if not key:
            continue
        fp = key_fingerprint(key)
        groups.setdefault(fp, {"partial": partial_key(key), "hosts": set()})["hosts"].add(str(host))
    if ledger:
        for fp, group in groups.items():
            group["hosts"].update(usage(ledger, fp))
    report, problems = [], []
    for group in sorted(groups.values(), key=lambda group: group["partial"]):
        limit = MAX_HOSTS_PER_KEY + granted_extra_hosts(extra_hosts_granted, group["partial"])
        hosts = sorted(group["hosts"])
        report.append({"key": mask_key(group["partial"]), "hosts": hosts, "limit": limit})
        if len(hosts) > limit:
            problems.append(
                "KMS host key %s is assigned to %d hosts (%s); the limit is %d"
                % (mask_key(group["partial"]), len(hosts), ", ".join(hosts), limit)
            )
    if problems:
        raise GuardRefused(
            "; ".join(problems) + ". Declare extra activations granted by Microsoft "
            "with extra_hosts_granted, or assign different keys"
        )
    return report
