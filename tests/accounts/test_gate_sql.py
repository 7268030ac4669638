"""One source for each statement (issue 13 item 7): accounts' gate statement against its ORM reference on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from accounts.models import Agreement, AgreementAcceptance, GradePermission, User
from accounts.sql import user_gate_rows, user_gate_rows_orm
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_gate_statement_reads_exactly_what_the_orm_reference_reads():
    assert connection.vendor == "postgresql"
    now = timezone.now()
    accepted_all, behind, ahead, low, inactive = (UserFactory() for _ in range(5))
    User.objects.filter(pk=low.pk).update(credit_score=10, verification_level=2)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    GradePermission.objects.filter(grade="A").update(message_rate="7/second")
    kind = Agreement.objects.filter(material=True, published_at__isnull=False).values_list("kind", flat=True).first()
    latest = Agreement.objects.filter(kind=kind).aggregate(m=Max("published_at"))["m"]
    newer = Agreement.objects.create(kind=kind, version="2099-1", title_zh="新", title_en="new", body_zh="文",
                                     body_en="text", material=True, published_at=latest + timedelta(milliseconds=1))
    Agreement.objects.create(kind=kind, version="2099-2", title_zh="草", title_en="draft", body_zh="文", body_en="t",
                             material=True, published_at=now + timedelta(days=1))  # not yet published: no gate
    for user in (accepted_all, ahead):
        AgreementAcceptance.objects.create(user=user, agreement=newer)
    now = max(timezone.now(), newer.published_at)  # at or after the new version's publication
    ids = [accepted_all.pk, behind.pk, ahead.pk, low.pk, inactive.pk, 999_999]
    by_statement = sorted(user_gate_rows(ids, now))
    assert by_statement == sorted(user_gate_rows_orm(ids, now))
    missing = {row[0]: row[5] for row in by_statement}
    assert missing == {accepted_all.pk: False, behind.pk: True, ahead.pk: False, low.pk: True, inactive.pk: True}
    assert {row[0]: row[4] for row in by_statement}[inactive.pk] is False
    assert len({row[3] for row in by_statement}) >= 2  # different grades, different rates
