# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Licensing error codes the executor returns, with what Microsoft documents about them.

Software Protection reports its errors as HRESULTs (``0xC004F074`` ...). The executor returns the
code of a failed operation as ``0x%08X`` (the HResult of the CIM exception, or a method's non-zero
ReturnValue); this table turns the codes Microsoft documents into the meaning and the next step.

Source: Microsoft Learn, "Troubleshoot Windows activation error codes" (the page called
"Resolving common activation error codes" in older guides),
https://learn.microsoft.com/troubleshoot/windows-server/licensing-and-activation/troubleshoot-activation-error-codes
The wording below is this collection's own summary of that page, not a quote.
"""

from __future__ import annotations

import re

SOURCE = (
    "Microsoft: Troubleshoot Windows activation error codes, https://learn.microsoft.com/troubleshoot/"
    "windows-server/licensing-and-activation/troubleshoot-activation-error-codes"
)

# code -> (meaning, next step)
ACTIVATION_ERRORS = {
    "0x80070005": (
        "access denied: the action needs elevated privileges",
        "run the task as a member of the local Administrators group (become or an elevated WinRM session)",
    ),
    "0x8007007B": (
        "the DNS name of the KMS host does not exist, or no _vlmcs._tcp SRV record was found",
        "check the client's primary DNS suffix and the _vlmcs._tcp SRV records (kmsops.kms.kms_discover), "
        "or set a fixed KMS host (kms_client kms_host)",
    ),
    "0x800706BA": (
        "the RPC server is unavailable: the KMS host did not answer (firewall, or a stale SRV record)",
        "on the KMS host, allow inbound TCP on its KMS port (1688 by default: the rule SPPSVC-In-TCP) and "
        "check that the SRV records name live KMS hosts",
    ),
    "0x8007232A": ("DNS server failure", "fix the client's network or DNS configuration"),
    "0x8007232B": (
        "the DNS name does not exist: no KMS SRV record was found in DNS",
        "publish _vlmcs._tcp (kmsops.kms.kms_publish) in the client's domain, set a lookup domain "
        "(kms_client kms_domain) or a fixed KMS host (kms_client kms_host)",
    ),
    "0x8007251D": (
        "no records were found for the DNS query of the KMS SRV record",
        "publish _vlmcs._tcp in the client's domain or set a fixed KMS host",
    ),
    "0xC004B100": (
        "the activation server determined that the computer could not be activated",
        "contact the Microsoft Licensing Activation Center",
    ),
    "0xC004C001": (
        "the activation server determined that the product key is not valid",
        "check the key (a typing error, or a key of another product)",
    ),
    "0xC004C003": (
        "the activation server determined that the product key is blocked",
        "contact the Microsoft Licensing Activation Center for a new key",
    ),
    "0xC004C008": (
        "the activation server reported that the product key exceeded its unlock limit (a KMS host key "
        "activates up to 6 hosts, 10 times each)",
        "ask the Microsoft Licensing Activation Center for more activations, then set extra_hosts_granted "
        "or extra_activations_granted",
    ),
    "0xC004C020": (
        "the activation server reported that the Multiple Activation Key exceeded its limit",
        "ask the Microsoft Licensing Activation Center for more MAK activations",
    ),
    "0xC004C021": (
        "the activation server reported that the Multiple Activation Key extension limit was exceeded",
        "ask the Microsoft Licensing Activation Center for more MAK activations",
    ),
    "0xC004F009": (
        "the grace period expired before the system was activated",
        "activate the system (online or by telephone)",
    ),
    "0xC004F00F": (
        "the hardware ID binding is beyond the level of tolerance (the hardware changed)",
        "activate again: a MAK online or by telephone, a KMS client against its KMS host",
    ),
    "0xC004F014": (
        "no product key is installed",
        "install a product key (kms_host product_key, or kms_client product_key)",
    ),
    "0xC004F02C": (
        "the format of the offline (telephone) activation data is incorrect",
        "check the Confirmation ID read by the Activation Call Center and run again with it",
    ),
    "0xC004F035": (
        "the computer could not be activated with a Volume license product key: volume-licensed systems "
        "need a qualifying operating system licence",
        "use a key that matches this system's licence",
    ),
    "0xC004F038": (
        "the count reported by the KMS host is insufficient (25 clients for client systems, 5 for servers)",
        "wait until enough machines have contacted the KMS host; the client retries by itself",
    ),
    "0xC004F039": (
        "the KMS host did not respond to the request (KMS not enabled)",
        "check the network path from the client to the KMS host and that its KMS port is open",
    ),
    "0xC004F041": ("the KMS host is not activated", "activate the KMS host (kms_host activation online or phone)"),
    "0xC004F042": (
        "the KMS host cannot be used: its key does not activate this client's product",
        "install on the KMS host a KMS host key that covers this client's Windows version",
    ),
    "0xC004F050": (
        "the product key is not valid (a typing error, or a key of another product or edition)",
        "check the key and that it matches the edition of Windows",
    ),
    "0xC004F051": ("the product key is blocked", "contact the Microsoft Licensing Activation Center"),
    "0xC004F064": ("the non-genuine grace period expired", "activate with a genuine product key"),
    "0xC004F065": ("the system is running within the non-genuine grace period", "activate with a genuine product key"),
    "0xC004F06C": (
        "the request timestamp is invalid: the clocks of the KMS client and host differ by more than 4 hours",
        "correct the time and time zone of the client and the KMS host",
    ),
    "0xC004F074": (
        "no KMS host could be contacted (every KMS host tried returned an error or did not answer)",
        "check DNS discovery (kmsops.kms.kms_discover), the firewall on the KMS host and event 12288 in "
        "the client's Application log",
    ),
    "0xC004E015": ("license consumption failed", "reinstall the licence files (slmgr.vbs /rilc) and activate again"),
}

_CODE = re.compile(r"^0x[0-9A-F]{8}$")


def normalize_code(code):
    """``0xc004f074`` / ``C004F074`` / an int -> ``0xC004F074``; None when it is not a code."""
    if code is None or code == "":
        return None
    if isinstance(code, int):
        return "0x%08X" % (code & 0xFFFFFFFF)
    text = str(code).strip().upper()
    if text.startswith("0X"):
        text = text[2:]
    text = "0x" + text.rjust(8, "0")
    return text if _CODE.match(text) else None


def explain(code):
    """``{"code", "meaning", "next_step", "source"}`` for a documented code; ``{"code"}`` for
    another code; None for no code."""
    code = normalize_code(code)
    if code is None:
        return None
    known = ACTIVATION_ERRORS.get(code)
    if not known:
        return {"code": code}
    return {"code": code, "meaning": known[0], "next_step": known[1], "source": SOURCE}


def describe_failure(failure):
    """The task message and the ``error`` result for the executor's ``failure`` (``index``,
    ``title``, ``code``, ``message``)."""
    failure = failure or {}
    index = failure.get("index")
    number = index + 1 if isinstance(index, int) else "?"
    detail = explain(failure.get("code")) or {}
    error = {"operation": failure.get("title"), "message": failure.get("message")}
    error.update(detail)
    msg = "operation %s (%s) failed" % (number, failure.get("title"))
    if detail.get("code"):
        msg += " with %s" % detail["code"]
    msg += ": %s" % failure.get("message")
    if detail.get("meaning"):
        msg += " - Microsoft documents %s as: %s. Next step: %s." % (
            detail["code"],
            detail["meaning"],
            detail["next_step"],
        )
    return msg, error
