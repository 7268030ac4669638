"""Credit (G7b, G11b): ledger, grades, fixed penalties, recovery sweep, grade permissions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import CreditEvent, GradePermission, User
from accounts.selectors import grade_for, grade_permissions_for
from accounts.tasks import credit_recover
from groupchat.core.errors import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_grades_by_score():
    assert [grade_for(s) for s in (100, 90, 89, 70, 69, 50, 49, 0)] == ["A", "A", "B", "B", "C", "C", "D", "D"]


@pytest.mark.clause("G7b")
def test_ledger_records_each_change_and_moves_the_grade(alice, reviewer, django_capture_on_commit_callbacks):
    assert alice.credit_score == 80 and grade_permissions_for(alice).grade == "B"
    with django_capture_on_commit_callbacks() as callbacks:
        event = services.credit_penalise(user=alice, severity="serious", reason_code="ILL-08", ref="measure-7")
    assert (event.delta, event.score_after, event.grade_before, event.grade_after) == (-15, 65, "B", "C")
    assert len(callbacks) == 1  # grade changed: the user is told
    with django_capture_on_commit_callbacks() as callbacks:
        services.credit_change(user=alice, delta=-1, reason_code="spam", source="complaint", ref="c-3")
    assert callbacks == []  # same grade: no notice
    services.credit_change(user=alice, delta=-200, reason_code="grave", source="measure")
    assert User.objects.get(pk=alice.pk).credit_score == 0  # clamped
    with pytest.raises(ApplicationError):
        services.credit_change(user=alice, delta=5, reason_code="fix", source="manual")  # needs operator + reason
    services.credit_change(user=alice, delta=5, reason_code="correction", source="manual", operator=reviewer,
                           reason="误判更正")
    events = list(CreditEvent.objects.filter(user=alice).order_by("id"))
    assert [e.score_after for e in events] == [65, 64, 0, 5]
    assert events[-1].operator == reviewer and events[-1].reason == "误判更正"
    assert User.objects.get(pk=alice.pk).credit_score == events[-1].score_after
    with pytest.raises(PermissionError):
        events[0].save()


@pytest.mark.clause("G11b")
def test_grade_permissions_come_from_the_editable_table():
    user = UserFactory()
    GradePermission.objects.update_or_create(grade="B", defaults=dict(
        groups_owned_max=1, groups_created_per_day=1, groups_joined_max=2, admin_eligible=False,
        max_owned_tier="small", message_rate="1/second"))
    perms = grade_permissions_for(user)
    assert (perms.grade, perms.groups_joined_max, perms.admin_eligible, perms.message_rate) == ("B", 2, False,
                                                                                                 "1/second")
    GradePermission.objects.all().delete()  # fallback to settings
    assert grade_permissions_for(user).groups_owned_max == 10


@pytest.mark.clause("G7b")
def test_recovery_sweep_is_idempotent_and_capped():
    long_ago = timezone.now() - timedelta(days=100)
    user = UserFactory(date_joined=long_ago)
    services.credit_change(user=user, delta=-1, reason_code="spam", source="measure", at=long_ago)
    recent = UserFactory()
    services.credit_change(user=recent, delta=-5, reason_code="spam", source="measure")
    assert credit_recover.delay().get() == 1  # the Celery task, run eagerly
    assert credit_recover() == 0  # second run: nothing more
    assert User.objects.get(pk=user.pk).credit_score == 80  # back to the start, never above
    assert User.objects.get(pk=recent.pk).credit_score == 75
    assert CreditEvent.objects.filter(user=user, source="recovery").count() == 1
    later = timezone.now() + timedelta(days=31)
    assert services.credit_recover_sweep(now=later) == 1  # recent: 30 days clean; user stays at the cap
    assert services.credit_recover_sweep(now=later) == 0
    assert services.credit_recover_sweep(now=later + timedelta(days=29)) == 0  # not a full period since
    assert services.credit_recover_sweep(now=later + timedelta(days=31)) == 1
    assert User.objects.get(pk=recent.pk).credit_score == 77
