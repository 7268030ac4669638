"""Rule writes (services) and reads (selectors): create, edit, enable/disable, bulk import and export.

Invariants: every change writes one ``RuleChange`` (its id is the new rules version) in the same transaction as the
rule; a rule's ``key``/``pinyin_key`` always equal its keyword normalised; after commit this process reloads at once
and every other one within the poll period (screening/reload.py). Import is all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core.errors import ApplicationError

from .. import errors  # noqa: F401  (registers the codes)
from ..categories import BY_CODE
from ..models_screening import RuleAction, RuleChange, ScreeningRule
from . import reload
from .normalise import normalise, pinyin_of

EXPORT_COLUMNS = ("keyword", "category", "action", "pattern", "pinyin", "enabled", "note")


def _snapshot(rule: ScreeningRule) -> dict:
    return {"id": rule.pk, "keyword": rule.keyword, "category": rule.category, "action": rule.action,
            "pattern": rule.pattern, "pinyin": rule.pinyin, "enabled": rule.enabled, "note": rule.note}


def rule_validate(*, keyword: str, category: str, action: str, pattern: str) -> tuple[str, str]:
    keyword = (keyword or "").strip()
    if not 1 <= len(keyword) <= 100 or not normalise(keyword):
        raise ApplicationError("rule_keyword_invalid")
    if category not in BY_CODE:
        raise ApplicationError("rule_category_invalid")
    if action not in RuleAction.values:
        raise ApplicationError("rule_action_invalid")
    pattern = (pattern or "").strip()
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ApplicationError("rule_pattern_invalid", params={"reason": str(exc)}) from exc
    return keyword, pattern


def _keys(rule: ScreeningRule) -> None:
    rule.key = normalise(rule.keyword)
    rule.pinyin_key = (pinyin_of(rule.keyword) or "") if rule.pinyin else ""


def _changed(*, rule: ScreeningRule | None, change: str, before: dict | None, actor: User | None,
             reason: str = "") -> RuleChange:
    entry = RuleChange.objects.create(rule_id_ref=rule.pk if rule else None, change=change, before=before,
                                      after=_snapshot(rule) if rule else None, actor=actor, reason=reason[:200])
    transaction.on_commit(reload.invalidate)
    return entry


@transaction.atomic
def rule_create(*, actor: User | None, keyword: str, category: str, action: str = RuleAction.BLOCK,
                pattern: str = "", pinyin: bool = False, note: str = "", enabled: bool = True,
                reason: str = "") -> ScreeningRule:
    """Add a rule. Side effects: ``RuleChange`` create (new rules version); every process reloads within the poll."""
    keyword, pattern = rule_validate(keyword=keyword, category=category, action=action, pattern=pattern)
    rule = ScreeningRule(keyword=keyword, category=category, action=action, pattern=pattern, pinyin=bool(pinyin),
                         note=note[:200], enabled=enabled)
    _keys(rule)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        raise ApplicationError("rule_exists") from exc
    _changed(rule=rule, change="create", before=None, actor=actor, reason=reason)
    return rule


@transaction.atomic
def rule_update(*, actor: User | None, rule: ScreeningRule, keyword: str | None = None, category: str | None = None,
                action: str | None = None, pattern: str | None = None, pinyin: bool | None = None,
                note: str | None = None, enabled: bool | None = None, reason: str = "") -> ScreeningRule:
    """Edit a rule (only the fields given). Side effects: ``RuleChange`` update/enable/disable with before and after."""
    rule = ScreeningRule.objects.select_for_update().get(pk=rule.pk)
    before = _snapshot(rule)
    keyword, pattern = rule_validate(keyword=rule.keyword if keyword is None else keyword,
                                 category=rule.category if category is None else category,
                                 action=rule.action if action is None else action,
                                 pattern=rule.pattern if pattern is None else pattern)
    rule.keyword, rule.pattern = keyword, pattern
    if category is not None:
        rule.category = category
    if action is not None:
        rule.action = action
    if pinyin is not None:
        rule.pinyin = bool(pinyin)
    if note is not None:
        rule.note = note[:200]
    if enabled is not None:
        rule.enabled = bool(enabled)
    after = _snapshot(rule)
    if after == before:
        return rule
    _keys(rule)
    rule.updated_at = timezone.now()
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        raise ApplicationError("rule_exists") from exc
    only_enabled = {k for k in after if after[k] != before[k]} == {"enabled"}
    change = ("enable" if rule.enabled else "disable") if only_enabled else "update"
    _changed(rule=rule, change=change, before=before, actor=actor, reason=reason)
    return rule


@transaction.atomic
def rules_set_enabled(*, actor: User | None, rule_ids: list[int], enabled: bool, reason: str = "") -> int:
    """Enable or disable many rules (an admin action); one change record per rule that changed."""
    n = 0
    for rule in ScreeningRule.objects.select_for_update().filter(pk__in=rule_ids, enabled=not enabled):
        rule_update(actor=actor, rule=rule, enabled=enabled, reason=reason)
        n += 1
    return n


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _parse(text: str, *, default_category: str, default_action: str) -> list[dict]:
    """CSV with a header row (``keyword`` required; ``category``, ``action``, ``pattern``, ``pinyin``, ``enabled``,
    ``note`` optional), or plain text: one keyword per line, with the defaults. ``#`` lines are comments."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]))] if first else []
    rows: list[dict] = []
    if "keyword" in header:
        reader = csv.DictReader(io.StringIO("\n".join(line for line in lines if not line.startswith("#"))))
        reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
        for n, row in enumerate(reader, start=2):
            rows.append({"line": n, **{k: (v or "").strip() for k, v in row.items() if k}})
    else:
        for n, line in enumerate(lines, start=1):
            if line.strip() and not line.startswith("#"):
                rows.append({"line": n, "keyword": line.strip()})
    for row in rows:
        row["category"] = row.get("category") or default_category
        row["action"] = row.get("action") or default_action
        row["pinyin"] = str(row.get("pinyin", "")).lower() in ("1", "true", "yes", "y")
        row["enabled"] = str(row.get("enabled", "1")).lower() not in ("0", "false", "no", "n")
    return rows


@transaction.atomic
def rules_import(*, actor: User | None, text: str, default_category: str = "", default_action: str = "block",
                 reason: str = "") -> ImportResult:
    """Import rules from a CSV or text file: a keyword already in its category is updated, a new one created.

    All or nothing: the first invalid line refuses the whole file with ``rules_import_invalid`` (line and reason).
    Side effects: one ``RuleChange`` per created or changed rule (``change`` create/update, ``reason`` import).
    """
    rows = _parse(text, default_category=default_category, default_action=default_action)
    for row in rows:
        try:
            row["keyword"], row["pattern"] = rule_validate(keyword=row.get("keyword", ""), category=row["category"],
                                                       action=row["action"], pattern=row.get("pattern", ""))
        except ApplicationError as exc:
            raise ApplicationError("rules_import_invalid",
                                   params={"line": row["line"], "reason": exc.detail("en")}) from exc
    existing = {(r.keyword, r.category): r for r in ScreeningRule.objects.select_for_update().filter(
        keyword__in=[row["keyword"] for row in rows])}
    created = updated = unchanged = 0
    why = reason or "import"
    for row in rows:
        fields = {k: row[k] for k in ("action", "pattern", "pinyin", "enabled")}
        fields["note"] = row.get("note", "")
        rule = existing.get((row["keyword"], row["category"]))
        if rule is None:
            rule = rule_create(actor=actor, keyword=row["keyword"], category=row["category"], reason=why, **fields)
            existing[(rule.keyword, rule.category)] = rule
            created += 1
            continue
        before = rule.updated_at
        rule = rule_update(actor=actor, rule=rule, reason=why, **fields)
        if rule.updated_at != before:
            updated += 1
        else:
            unchanged += 1
    return ImportResult(created, updated, unchanged)


def rules_export() -> str:
    """Every rule as CSV (the import format), in id order."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for rule in ScreeningRule.objects.order_by("id"):
        writer.writerow([rule.keyword, rule.category, rule.action, rule.pattern, int(rule.pinyin), int(rule.enabled),
                         rule.note])
    return out.getvalue()


def rule_counts() -> dict[str, int]:
    """Enabled rules by action (the admin home and docs)."""
    from django.db.models import Count

    rows = ScreeningRule.objects.filter(enabled=True).values("action").annotate(n=Count("id"))
    return {row["action"]: row["n"] for row in rows}
