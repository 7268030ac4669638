"""Start-up wiring of the measures half of moderation, called from ``ModerationConfig.ready()``: the checks lent to
the lower apps' paths, the staff panels with their live counts, and django-auditlog as a second trail."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from groupchat.core.admin_panels import Panel, register_panel


def _rectification_count() -> int:
    from .models_measures import MeasureKind, Restriction

    return Restriction.objects.filter(kind=MeasureKind.WARNING).count()


def _overdue_count() -> int:
    from .models_measures import MeasureKind, Restriction

    return Restriction.objects.filter(kind=MeasureKind.WARNING).filter(
        Q(escalated_at__isnull=False) | Q(until__lte=timezone.now())).count()


def _appeals_count() -> int:
    from .models_measures import Appeal, AppealStatus

    return Appeal.objects.filter(status=AppealStatus.PENDING).count()


def _roles(sender, **kwargs) -> None:
    from .roles_measures import moderation_roles_ensure

    moderation_roles_ensure()


def ready() -> None:
    from auditlog.registry import auditlog
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from groupchat.core.hooks import register_hook
    from groups.screening import GROUP_NOTICES_HOOK

    from . import blacklist, measures
    from .models_measures import Appeal, Measure, Restriction

    blacklist.register()
    # A warning's rectification deadline stays on the owner's and admins' chat page while it is in force (G11a).
    register_hook(GROUP_NOTICES_HOOK, measures.group_notices)
    # The roles exist after every migrate (and after a test database flush), as accounts' roles do.
    post_migrate.connect(_roles, sender=apps.get_app_config("moderation"), dispatch_uid="moderation.roles_measures")
    for model in (Measure, Restriction, Appeal):
        if not auditlog.contains(model):
            auditlog.register(model)
    section = {"section_zh": "内容审核", "section_en": "Moderation"}
    register_panel(Panel(key="moderation.rectification", zh="整改中的群组", en="Groups under rectification",
                         url="/admin/moderation/restriction/?kind__exact=warning", permission="moderation.view_measure",
                         count=_rectification_count, order=40, **section))
    register_panel(Panel(key="moderation.rectification_overdue", zh="逾期未整改（已上报）", en="Rectification overdue",
                         url="/admin/moderation/restriction/?kind__exact=warning&overdue=1",
                         permission="moderation.view_measure", count=_overdue_count, order=41, **section))
    register_panel(Panel(key="moderation.appeals", zh="待处理申诉", en="Appeals to decide",
                         url="/admin/moderation/appeal/?status__exact=pending", permission="moderation.decide_appeal",
                         count=_appeals_count, order=42, **section))
    register_panel(Panel(key="moderation.measures", zh="处置记录", en="Measures",
                         url="/admin/moderation/measure/", permission="moderation.view_measure", order=43, **section))
