"""Filing (G7a, 备案): versions of the tiered management system, marking them filed, and the filing package.

Every change of tiers, categories or grade caps (in groups and accounts, below this app) reports itself through the
kernel's ``filing.changed`` hook, in its own transaction: a new, unfiled ``FilingRecord`` holding a snapshot of the
tier system, unless the snapshot did not change. The tier-system pages warn (``filing.pending``) until the newest
version is marked filed with the authority's number.

The filing package (备案材料) is built from the LIVE configuration (``selectors_filing``), in the background with its
progress, and signed like every package (compliance/packages.py); its ``filing.json`` names the filing version and
says whether the live tier system still matches that version's snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin
from groups.selectors_tiers import tier_system_snapshot

from ..models import FilingPackage, FilingRecord, ReportStatus
from ..packages import PackageWriter, Section, package_path
from ..selectors_filing import FILING_SECTIONS
from .building import package_building, package_file_record
from .permissions import require_perm


@transaction.atomic
def filing_version_create(*, actor: User | None, summary: str) -> FilingRecord:
    """A new, unfiled version of the tiered management system (the last one when the snapshot is unchanged).

    Side effects: the ``FilingRecord``; network-log record ``compliance.filing_version``."""
    last = FilingRecord.objects.select_for_update().order_by("-version").first()
    snapshot = tier_system_snapshot()
    if last is not None and last.snapshot == snapshot:
        return last
    filing = FilingRecord.objects.create(version=(last.version + 1) if last else 1, snapshot=snapshot,
                                         change_summary=summary[:400], created_by=actor)
    record("compliance.filing_version", actor_id=actor.pk if actor else None,
           data={"version": filing.version, "summary": summary})
    return filing


def filing_changed(*, actor: User | None, summary: str, **_: Any) -> None:
    """Hook ``filing.changed`` (groups' tier and category edits, accounts' grade table): a new filing version."""
    filing_version_create(actor=actor, summary=summary)


@transaction.atomic
def filing_mark_filed(*, actor: User, filing: FilingRecord, filing_number: str, authority: str = "",
                      origin: Origin | None = None) -> FilingRecord:
    """Record that ``filing`` was filed with the authority under ``filing_number``.

    Side effects: the record's filed fields; network-log record ``compliance.filing_filed``."""
    filing_number = filing_number.strip()
    if not filing_number:
        raise ApplicationError("filing_number_required")
    filing = FilingRecord.objects.select_for_update().get(pk=filing.pk)
    if filing.filed:
        raise ApplicationError("filing_already_filed")
    filing.filed, filing.filed_at, filing.filing_number = True, timezone.now(), filing_number[:80]
    if authority.strip():
        filing.authority = authority.strip()[:80]
    filing.save(update_fields=["filed", "filed_at", "filing_number", "authority"])
    record("compliance.filing_filed", actor_id=actor.pk, origin=origin,
           data={"version": filing.version, "number": filing.filing_number, "authority": filing.authority})
    return filing


# --- the package -------------------------------------------------------------------------------------------------
@transaction.atomic
def filing_package_request(*, actor: User, filing_id: int, origin: Origin | None = None) -> FilingPackage:
    """Ask for the filing package of a version; it is built in the background (Celery) after commit.

    Needs ``compliance.add_filingpackage``. Side effects: the ``FilingPackage``; network-log record
    ``compliance.filing.package_request``; the build task queued on commit."""
    from ..tasks import filing_package_build as build_task

    require_perm(actor, "compliance.add_filingpackage")
    filing = FilingRecord.objects.filter(pk=filing_id).first()
    if filing is None:
        raise ApplicationError("not_found")
    package = FilingPackage.objects.create(filing=filing, requested_by=actor, progress_total=len(FILING_SECTIONS))
    record("compliance.filing.package_request", actor_id=actor.pk, origin=origin,
           data={"package": package.pk, "version": filing.version})
    build_task.delay_on_commit(package.pk)
    return package


def filing_package_build(*, package_id: int) -> FilingPackage:
    """Build the package from the live configuration, one section at a time (``progress_done`` counts them).
    Idempotent: a ready package is returned as is; a failed or interrupted one is built again.

    Side effects: the signed package file; the package's status and progress; network-log record
    ``compliance.filing.package`` (who asked, when it was built, the version, its SHA-256)."""
    with transaction.atomic():
        package = FilingPackage.objects.select_for_update().select_related("filing").get(pk=package_id)
        if package.status == ReportStatus.READY:
            return package
        package.status, package.progress_done, package.error = ReportStatus.BUILDING, 0, ""
        package.progress_total = len(FILING_SECTIONS)
        package.save(update_fields=["status", "progress_done", "progress_total", "error"])
    filing = package.filing
    matches = filing.snapshot == tier_system_snapshot()
    path = package_path("filing", package.pk)
    writer = PackageWriter(path, kind="filing", title_zh="互联网群组信息服务分级分类管理备案材料",
                           title_en="Filing of the tiered, classified management of group information services",
                           meta={"package": package.pk, "filing_version": filing.version, "filed": filing.filed,
                                 "filing_number": filing.filing_number, "live_matches_version": matches})
    with package_building(writer, row=FilingPackage.objects.filter(pk=package.pk), failed=ReportStatus.FAILED):
        sections: dict[str, Any] = {}
        for read in FILING_SECTIONS:
            section = read()
            sections[section.key] = section.data
            writer.write_json(f"data/{section.key}.json", section.data)
            if section.headers:
                writer.write_csv(f"data/{section.key}.csv", section.headers, section.rows)
            writer.add_section(Section(section.title_zh, section.title_en, paragraphs=section.paragraphs,
                                       headers=section.labels or section.headers, rows=section.rows))
            FilingPackage.objects.filter(pk=package.pk).update(progress_done=F("progress_done") + 1)
        writer.write_json("filing.json", {
            "filing_version": filing.version, "filed": filing.filed, "filing_number": filing.filing_number,
            "change_summary": filing.change_summary, "version_created_at": filing.created_at,
            "live_matches_version": matches, "built_at": writer.created_at, "sections": sections})
    with transaction.atomic():
        package.status, package.built_at, package.error = ReportStatus.READY, timezone.now(), ""
        package.progress_done = package.progress_total
        package.save(update_fields=["status", "built_at", "error", "progress_done",
                                    *package_file_record(package, path)])
        record("compliance.filing.package", actor_id=package.requested_by_id,
               data={"package": package.pk, "version": filing.version, "sha256": package.package_sha256,
                     "bytes": package.package_size, "requested_at": package.requested_at.isoformat(),
                     "live_matches_version": matches})
    return package


@transaction.atomic
def filing_package_download(*, actor: User, package_id: int, origin: Origin | None = None) -> Path:
    """Record a download of a ready package and return its path. Needs ``compliance.view_filingpackage``.

    Side effects: network-log record ``compliance.filing.download``."""
    require_perm(actor, "compliance.view_filingpackage")
    package = FilingPackage.objects.select_related("filing").filter(pk=package_id).first()
    if package is None or package.status != ReportStatus.READY or not package.package_path:
        raise ApplicationError("package_not_ready")
    record("compliance.filing.download", actor_id=actor.pk, origin=origin,
           data={"package": package.pk, "version": package.filing.version, "sha256": package.package_sha256})
    return Path(package.package_path)
