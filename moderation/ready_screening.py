"""Start-up wiring of the screening half of moderation (G10) and the emergency switches (G5a), called from
``ModerationConfig.ready()``: the hooks lent to the lower apps' paths, the staff panels with their live counts, and
django-auditlog as a second trail on the rules, switches and review queues."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from groupchat.core.admin_panels import Panel, register_panel
from groupchat.core.hooks import register_hook


def _held_count() -> int:
    from .models_screening import HeldMessage, HeldStatus

    return HeldMessage.objects.filter(status=HeldStatus.HELD).count()


def _flagged_count() -> int:
    from .models_screening import FlaggedItem, ReviewStatus

    return FlaggedItem.objects.filter(status=ReviewStatus.OPEN).count()


def _blocked_today_count() -> int:
    from .models_screening import BlockedAttempt

    return BlockedAttempt.objects.filter(created_at__gte=timezone.now() - timedelta(days=1)).count()


def _switches_on_count() -> int:
    from .models_screening import EmergencySwitch

    return EmergencySwitch.objects.filter(on=True).count()


def _roles(sender, **kwargs) -> None:
    from .roles_screening import screening_roles_ensure

    screening_roles_ensure()


def ready() -> None:
    from auditlog.registry import auditlog
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from . import switches
    from .models_screening import EmergencySwitch, FlaggedItem, HeldMessage, ScreeningRule
    from .screening import hooks

    register_hook("message.screen", hooks.message_screen)
    register_hook("text.screen", hooks.text_screen)
    register_hook("group.create.check", switches.group_create_check)
    register_hook("group.join.check", switches.group_join_check)
    # The roles' screening permissions exist after every migrate (and after a test database flush).
    post_migrate.connect(_roles, sender=apps.get_app_config("moderation"), dispatch_uid="moderation.roles_screening")
    for model in (ScreeningRule, EmergencySwitch, HeldMessage, FlaggedItem):
        if not auditlog.contains(model):
            auditlog.register(model)

    section = {"section_zh": "内容审核", "section_en": "Moderation"}
    register_panel(Panel(key="moderation.held", zh="待审消息", en="Held messages",
                         url="/admin/moderation/heldmessage/?status__exact=held",
                         permission="moderation.review_screening", count=_held_count, order=30, **section))
    register_panel(Panel(key="moderation.flagged", zh="标记待查内容", en="Flagged for review",
                         url="/admin/moderation/flaggeditem/?status__exact=open",
                         permission="moderation.review_screening", count=_flagged_count, order=31, **section))
    register_panel(Panel(key="moderation.blocked", zh="拦截记录（24小时）", en="Blocked attempts (24 h)",
                         url="/admin/moderation/blockedattempt/", permission="moderation.view_blockedattempt",
                         count=_blocked_today_count, order=32, **section))
    register_panel(Panel(key="moderation.rules", zh="审核规则", en="Screening rules",
                         url="/admin/moderation/screeningrule/", permission="moderation.view_screeningrule",
                         order=35, **section))
    register_panel(Panel(key="moderation.switches", zh="应急开关（开启中）", en="Emergency switches (on)",
                         url="/admin/moderation/emergencyswitch/", permission="moderation.toggle_emergency_switch",
                         count=_switches_on_count, order=36, **section))
