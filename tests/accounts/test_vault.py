"""The identity vault (G6a, G6b): encryption at rest, blind index, masked display, recorded reveals, rotation."""

import logging
import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts import crypto, services
from accounts.models import IdentityReveal, IdentitySubmission, SubmissionStatus, User
from groupchat.core.errors import ApplicationError
from groupchat.core.models import LogEntry
from tests.factories import UserFactory

from .conftest import NAME, NUMBER

pytestmark = pytest.mark.django_db
ID_RE = re.compile(r"\d{17}[\dXx]")


def _dump_all_tables() -> str:
    """Every row of every table in the test database, as text (what a database dump would contain)."""
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT * FROM "{table}"')
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.mark.clause("G6b")
def test_no_plaintext_id_number_or_name_in_database_or_logs(alice, reviewer, submit_personal, origin, caplog):
    caplog.set_level(logging.DEBUG)
    submission = submit_personal(alice)
    services.identity_approve(submission_id=submission.pk, reviewer=reviewer, origin=origin)
    services.identity_reveal(actor=reviewer, submission_id=submission.pk, reason="核对身份证照片", origin=origin)
    dump = _dump_all_tables()
    assert "王小明" not in dump and NUMBER not in dump and not ID_RE.search(dump)
    assert "1****************X" in dump and "王**" in dump
    logs = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert NUMBER not in logs and "王小明" not in logs and not ID_RE.search(logs)


@pytest.mark.clause("G6b")
def test_ciphertext_decrypts_and_blind_index_is_keyed(alice, submit_personal, settings):
    submission = submit_personal(alice)
    assert crypto.decrypt(submission.id_number_enc) == NUMBER
    assert crypto.decrypt(submission.legal_name_enc) == NAME
    assert submission.id_hmac == crypto.blind_index(NUMBER)
    settings.BLIND_INDEX_KEY = "another-key"
    assert crypto.blind_index(NUMBER) != submission.id_hmac


@pytest.mark.clause("G6b")
def test_key_rotation_old_rows_readable_then_reencrypted(alice, submit_personal, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    submission = submit_personal(alice)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    submission.refresh_from_db()
    assert crypto.decrypt(submission.id_number_enc) == NUMBER  # old row still readable
    assert not crypto.is_current(submission.id_number_enc)
    call_command("identity_reencrypt")
    submission.refresh_from_db()
    assert crypto.is_current(submission.id_number_enc) and crypto.is_current(submission.legal_name_enc)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be retired
    assert crypto.decrypt(submission.id_number_enc) == NUMBER


@pytest.mark.clause("G6b")
def test_reveal_needs_permission_and_reason_and_every_attempt_is_recorded(alice, bob, reviewer, submit_personal,
                                                                           origin):
    submission = submit_personal(alice)
    with pytest.raises(ApplicationError) as err:
        services.identity_reveal(actor=bob, submission_id=submission.pk, reason="just curious", origin=origin)
    assert err.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as err:
        services.identity_reveal(actor=reviewer, submission_id=submission.pk, reason=" ", origin=origin)
    assert err.value.code == "reveal_reason_required"
    data = services.identity_reveal(actor=reviewer, submission_id=submission.pk, reason="核对证件信息",
                                    origin=origin)
    assert data == {"legal_name": NAME, "id_number": NUMBER}
    rows = list(IdentityReveal.objects.order_by("at", "id").values_list("actor_id", "subject_id", "granted", "reason"))
    assert rows == [(bob.pk, alice.pk, False, "just curious"), (reviewer.pk, alice.pk, False, ""),
                    (reviewer.pk, alice.pk, True, "核对证件信息")]
    assert LogEntry.objects.filter(kind="identity.reveal").count() == 3
    with pytest.raises(PermissionError):
        IdentityReveal.objects.first().delete()


@pytest.mark.clause("G6b")
def test_officer_reads_reveal_log_but_reviewer_cannot(officer, reviewer):
    assert officer.has_perm("accounts.view_identityreveal")
    assert not reviewer.has_perm("accounts.view_identityreveal")
    assert reviewer.has_perm("accounts.reveal_identity") and reviewer.has_perm("accounts.review_identity")


@pytest.mark.clause("G6a")
def test_consent_is_required_before_the_id_number(alice, origin):
    with pytest.raises(ApplicationError) as err:
        services.identity_submit_personal(user=alice, legal_name=NAME, id_number=NUMBER, consent=None, origin=origin)
    assert err.value.code == "consent_required"
    assert not IdentitySubmission.objects.exists()


@pytest.mark.clause("G6a")
def test_accounts_per_identity_limit(alice, bob, reviewer, submit_personal, origin, settings):
    first = submit_personal(alice)
    services.identity_approve(submission_id=first.pk, reviewer=reviewer, origin=origin)
    with pytest.raises(ApplicationError) as err:
        submit_personal(bob, number=" 11010519491231002x")  # same identity, other spelling
    assert err.value.code == "identity_taken"
    settings.ACCOUNTS = {"ACCOUNTS_PER_IDENTITY": 2}
    assert submit_personal(bob).status == SubmissionStatus.PENDING


@pytest.mark.clause("G6a")
def test_review_approve_raises_level_reject_then_correct(alice, reviewer, submit_personal, origin,
                                                          django_capture_on_commit_callbacks):
    bad = submit_personal(alice, number="110102199101010078")
    with pytest.raises(ApplicationError) as err:
        services.identity_reject(submission_id=bad.pk, reviewer=reviewer, reason="", origin=origin)
    assert err.value.code == "reject_reason_required"
    services.identity_reject(submission_id=bad.pk, reviewer=reviewer, reason="姓名与证件不符", origin=origin)
    assert User.objects.get(pk=alice.pk).verification_level == 1
    good = submit_personal(alice)  # the correction is a new submission
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.identity_approve(submission_id=good.pk, reviewer=reviewer, origin=origin)
    assert callbacks  # the user is told live
    assert User.objects.get(pk=alice.pk).verification_level == 2
    # Identity change: a new approval supersedes the old one.
    again = submit_personal(alice, number="360426199101010071")
    services.identity_approve(submission_id=again.pk, reviewer=reviewer, origin=origin)
    good.refresh_from_db()
    assert good.status == SubmissionStatus.SUPERSEDED


def test_plain_user_cannot_review(alice, bob, submit_personal, origin):
    submission = submit_personal(alice)
    with pytest.raises(ApplicationError) as err:
        services.identity_approve(submission_id=submission.pk, reviewer=bob, origin=origin)
    assert err.value.code == "permission_denied"


@pytest.mark.clause("G6a")
def test_network_id_stores_only_token_and_result(alice, origin):
    submission = services.identity_submit_network_id(user=alice, token="CTID-abc123", origin=origin)
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.id_number_enc == "" and submission.legal_name_enc == ""
    assert submission.network_id_token == "CTID-abc123" and submission.network_id_result["result"] == "pass"
    assert User.objects.get(pk=alice.pk).verification_level == 2
    with pytest.raises(ApplicationError) as err:
        services.identity_submit_network_id(user=alice, token="bogus", origin=origin)
    assert err.value.code == "network_id_invalid"


@pytest.mark.clause("G6a")
def test_organisation_level_3(alice, reviewer, origin):
    with pytest.raises(ApplicationError) as err:
        services.identity_submit_organisation(user=alice, org_name="示例科技有限公司", uscc="91110000600037341M",
                                              origin=origin)
    assert err.value.code == "uscc_checksum"
    submission = services.identity_submit_organisation(user=alice, org_name="示例科技有限公司",
                                                       uscc="91110000600037341L", origin=origin)
    services.identity_approve(submission_id=submission.pk, reviewer=reviewer, origin=origin)
    assert User.objects.get(pk=alice.pk).verification_level == 3


def test_l2_needs_l1_first(origin, submit_personal):
    newcomer = UserFactory(verification_level=0)
    with pytest.raises(ApplicationError) as err:
        submit_personal(newcomer)
    assert err.value.code == "verification_level_required"
