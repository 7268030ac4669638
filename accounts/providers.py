"""Pluggable providers behind one interface each; ``ACCOUNTS["SMS_SENDER"]`` etc. pick the class by dotted path.

A real deployment plugs in an SMS gateway, a two-factor identity check (name + ID number against the public security
database) and the national network identity service; the implementations here are the development ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .conf import conf


class SmsSender:
    def send(self, *, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the gateway's message reference."""
        raise NotImplementedError


class FileSmsSender(SmsSender):
    """Development: append each SMS as a JSON line to ``var/sms-outbox.jsonl`` (read it to get the code)."""

    def send(self, *, phone: str, text: str) -> str:
        path = settings.VAR_DIR / "sms-outbox.jsonl"
        ref = f"file-{timezone.now().timestamp():.6f}"
        with open(path, "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps({"ref": ref, "at": timezone.now().isoformat(), "phone": phone, "text": text},
                                    ensure_ascii=False) + "\n")
        return ref


class MemorySmsSender(SmsSender):
    """Tests: keep sent messages in a list."""

    outbox: list[dict[str, str]] = []

    def send(self, *, phone: str, text: str) -> str:
        self.outbox.append({"phone": phone, "text": text})
        return f"mem-{len(self.outbox)}"


@dataclass(frozen=True)
class CheckResult:
    status: str  # "pending" (a human or a provider will decide later), "approved" or "rejected"
    ref: str = ""
    reason: str = ""


class IdentityChecker:
    """Checks an L2/L3 submission. Receives plaintext only for the duration of the call; never stores it."""

    def check_personal(self, *, submission_id: int, legal_name: str, id_number: str) -> CheckResult:
        raise NotImplementedError

    def check_organisation(self, *, submission_id: int, org_name: str, uscc: str) -> CheckResult:
        raise NotImplementedError


class ManualReviewChecker(IdentityChecker):
    """Submissions wait in the admin queue where identity reviewers approve or reject them."""

    def check_personal(self, *, submission_id: int, legal_name: str, id_number: str) -> CheckResult:
        return CheckResult("pending", ref=f"manual-{submission_id}")

    def check_organisation(self, *, submission_id: int, org_name: str, uscc: str) -> CheckResult:
        return CheckResult("pending", ref=f"manual-{submission_id}")


class DevAutoApproveChecker(IdentityChecker):
    """Demo only: approves every well-formed submission at once (the format checks have already run)."""

    def check_personal(self, *, submission_id: int, legal_name: str, id_number: str) -> CheckResult:
        return CheckResult("approved", ref=f"auto-{submission_id}")

    def check_organisation(self, *, submission_id: int, org_name: str, uscc: str) -> CheckResult:
        return CheckResult("approved", ref=f"auto-{submission_id}")


@dataclass(frozen=True)
class NetworkIdResult:
    ok: bool
    # A stable pseudonymous identifier of the person (网号), used only through its blind index for uniqueness.
    subject: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


class NetworkIdVerifier:
    """国家网络身份认证: verify a credential token; the service never returns the ID number and we never ask for it."""

    def verify(self, *, token: str) -> NetworkIdResult:
        raise NotImplementedError


class DevNetworkIdVerifier(NetworkIdVerifier):
    """Development: tokens ``CTID-<anything>`` verify, with the part after the prefix as the pseudonymous subject."""

    def verify(self, *, token: str) -> NetworkIdResult:
        if token.startswith("CTID-") and len(token) > 8:
            return NetworkIdResult(True, subject=token[5:], detail={"result": "pass", "provider": "dev"})
        return NetworkIdResult(False, detail={"result": "fail", "provider": "dev"})


@lru_cache(maxsize=16)
def _load(path: str):
    return import_string(path)()


def sms_sender() -> SmsSender:
    return _load(conf("SMS_SENDER"))


def identity_checker() -> IdentityChecker:
    return _load(conf("IDENTITY_CHECKER"))


def network_id_verifier() -> NetworkIdVerifier:
    return _load(conf("NETWORK_ID_VERIFIER"))
