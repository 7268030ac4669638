"""Compliance's periodic jobs and background exports. Thin: each calls one service (schedules: groupchat/celery.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="compliance.tasks.log_seal", acks_late=True)
def log_seal() -> int:
    """Every minute: seal the network log's settled slices (catches up after downtime; a second run does nothing)."""
    from .services.seals import seal_settled

    return seal_settled()


@shared_task(name="compliance.tasks.retention_sweep", acks_late=True)
def retention_sweep() -> dict:
    """Daily: purge network-log records past the retention period (G13b), keeping held ones."""
    from .services.retention import retention_sweep_run

    run = retention_sweep_run()
    return {"skipped": True} if run is None else {"run": run.pk, "purged": run.purged, "held": run.moved_to_hold}


@shared_task(name="compliance.tasks.removed_content_clear", acks_late=True)
def removed_content_clear() -> int:
    """Daily: empty removed messages' and reviewed moderation texts past the retention period, keeping held ones (G13b)."""
    from .services.removed_content import removed_content_clear as clear

    return clear()


@shared_task(name="compliance.tasks.seals_verify", acks_late=True)
def seals_verify(actor_id: int | None = None) -> dict:
    """Daily, or when an officer asks: verify the whole seal chain against the log and record the outcome."""
    from accounts.models import User

    from .services.seals import seal_verification_run

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    result = seal_verification_run(actor=actor)
    return {"ok": result.ok, "seals": result.seals, "first_problem": result.first_problem}


@shared_task(name="compliance.tasks.inspection_export", acks_late=True)
def inspection_export(request_id: int) -> str:
    """Build the package of an approved inspection request (streams to disk; progress kept on the request)."""
    from .services.inspection import inspection_export_run

    return inspection_export_run(request_id=request_id).status


@shared_task(name="compliance.tasks.filing_package_build", acks_late=True)
def filing_package_build(package_id: int) -> str:
    """Build a filing package from the live configuration (progress kept on the package)."""
    from .services.filing import filing_package_build as build

    return build(package_id=package_id).status


@shared_task(name="compliance.tasks.regulator_report_monthly", acks_late=True)
def regulator_report_monthly() -> int | None:
    """On the 1st: the previous month's regulator report (once; a second run finds it made)."""
    from .services.reports import regulator_report_monthly as make

    report = make()
    return report.pk if report else None
