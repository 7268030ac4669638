"""Filing (G7a, 备案) in compliance: versions made by groups' and accounts' edits through the kernel hook, the alert
on the tier-system pages until filed, the filing package built from the live configuration (signed, verified,
with progress and a recorded download), and the filing rows surviving their move out of groups."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts import services as account_services
from accounts.models import GradePermission
from compliance.models import FilingPackage, FilingRecord
from compliance.selectors import filing_unfiled
from compliance.selectors_filing import FILING_SECTIONS
from compliance.services.filing import filing_mark_filed, filing_package_request, filing_version_create
from groupchat.core import filing as kernel_filing
from groupchat.core.hooks import hooks_for
from groupchat.core.models import LogEntry
from groups.models import GroupCategory, TierPolicy
from tests.factories import ORIGIN, UserFactory

from .conftest import make_officer

pytestmark = pytest.mark.django_db

SECTION_KEYS = ["operator", "scale", "tiers", "categories", "grade_caps", "credit", "measures", "complaints",
                "switches", "log_retention", "identity", "agreements", "filing_versions"]
UNFILED = "has not been filed"


@pytest.fixture(autouse=True)
def _packages_and_operator(settings, tmp_path):
    settings.COMPLIANCE_PACKAGE_DIR = tmp_path
    settings.OPERATOR_NAME = "北京群聊科技有限公司"
    settings.OPERATOR_CREDIT_CODE = "91110108MA01ABCDEF"
    settings.OPERATOR_CONTACT = "王合规 010-12345678"
    settings.OPERATOR_ADDRESS = "北京市海淀区中关村大街 1 号"
    settings.OPERATOR_SERVICE_NAME = "群聊"


@pytest.fixture
def filed(admin_user):
    version = filing_version_create(actor=admin_user, summary="initial")
    version = filing_mark_filed(actor=admin_user, filing=version, filing_number="京网信备-001")
    assert filing_unfiled() is None
    return version


def _build(client, filing, capture) -> FilingPackage:
    """The officer's path: the action on the filing record; the task runs (eagerly) after the commit."""
    with capture(execute=True):
        response = client.post(reverse("admin:compliance_filingrecord_changelist"),
                               {"action": "build_package", "_selected_action": [filing.pk]})
    assert response.status_code == 302
    return FilingPackage.objects.order_by("-pk").first()


def _read(package: FilingPackage, name: str):
    with zipfile.ZipFile(package.package_path) as archive:
        data = archive.read(name)
    return json.loads(data) if name.endswith(".json") else data.decode("utf-8-sig")


@pytest.mark.clause("G7a")
def test_the_package_is_built_from_the_live_configuration_not_the_filed_snapshot(
        admin_client, filed, django_capture_on_commit_callbacks):
    cap = TierPolicy.objects.get(slug="small").max_members
    first = _build(admin_client, filed, django_capture_on_commit_callbacks)
    assert first.status == "ready" and first.progress_percent == 100
    assert {t["slug"]: t["max_members"] for t in _read(first, "data/tiers.json")}["small"] == cap
    assert _read(first, "filing.json")["live_matches_version"] is True

    # A cap changed behind the filing's back (no new version): the next package shows what is live, and says so.
    TierPolicy.objects.filter(slug="small").update(max_members=cap - 10)
    second = _build(admin_client, filed, django_capture_on_commit_callbacks)
    assert {t["slug"]: t["max_members"] for t in _read(second, "data/tiers.json")}["small"] == cap - 10
    meta = _read(second, "filing.json")
    assert meta["filing_version"] == filed.version and meta["filed"] is True
    assert meta["filing_number"] == "京网信备-001" and meta["live_matches_version"] is False
    assert f"small,小型群,Small,1,{cap - 10}," in _read(second, "data/tiers.csv")


@pytest.mark.clause("G7a")
def test_the_package_holds_every_section_and_verifies_and_a_changed_byte_fails(
        admin_client, filed, django_capture_on_commit_callbacks, tmp_path):
    GradePermission.objects.filter(grade="B").update(groups_owned_max=7)
    package = _build(admin_client, filed, django_capture_on_commit_callbacks)
    assert [read().key for read in FILING_SECTIONS] == SECTION_KEYS
    with zipfile.ZipFile(package.package_path) as archive:
        names = set(archive.namelist())
        html = archive.read("document.html").decode()
    assert {f"data/{key}.json" for key in SECTION_KEYS} | {"filing.json", "document.html"} <= names
    sections = _read(package, "filing.json")["sections"]
    assert sections["operator"]["OPERATOR_CREDIT_CODE"] == "91110108MA01ABCDEF" and not sections["operator"]["demo"]
    assert {r["tier"] for r in sections["scale"]["tiers"]} >= {"small", "medium", "large"}
    assert {c["grade"]: c["groups_owned_max"] for c in sections["grade_caps"]}["B"] == 7
    assert sections["credit"]["appeal_days"] == 15 and sections["credit"]["grades"][0] == {"grade": "A",
                                                                                           "from_score": 90}
    assert sections["measures"]["blacklist"]["days"] == [7, 30, 180]
    assert sections["complaints"]["urgent_hours"] == 1 and sections["complaints"]["decide_working_days"] == 3
    assert {(s["kind"], s["on"]) for s in sections["switches"]} >= {("post", False), ("hold_all", False)}
    assert sections["log_retention"]["retention_days"] >= sections["log_retention"]["legal_floor_days"] == 184
    assert "accounts.reveal_identity" not in json.dumps(sections["identity"])  # the roles, not permission names
    assert sections["identity"]["reveal_roles"] == ["identity reviewer"]
    assert sections["identity"]["masking"]["id_number"].startswith("1") and "*" in sections["identity"]["masking"][
        "id_number"]
    assert {a["kind"] for a in sections["agreements"]} and all(a["body_zh"] for a in sections["agreements"])
    assert [(v["version"], v["filing_number"]) for v in sections["filing_versions"]] == [(1, "京网信备-001")]
    for title in ("运营主体", "各级群组规模", "分级管理", "分类管理", "信用管理与申诉", "处置措施与黑名单", "投诉举报渠道与处理时限",
                  "应急开关", "网络日志留存", "身份信息保护", "协议文本", "备案版本变更记录", "北京群聊科技有限公司"):
        assert title in html, title

    out = io.StringIO()
    call_command("package_verify", package.package_path, stdout=out)
    assert out.getvalue().startswith("OK"), out.getvalue()
    raw = bytearray(open(package.package_path, "rb").read())
    raw[len(raw) // 2] ^= 0x01
    (tmp_path / "changed.zip").write_bytes(raw)
    with pytest.raises(CommandError):
        call_command("package_verify", str(tmp_path / "changed.zip"), stdout=io.StringIO())


@pytest.mark.clause("G7a")
def test_building_and_downloading_are_recorded_with_who_and_when(filed, django_capture_on_commit_callbacks,
                                                                 client):
    officer = make_officer(nickname="合规专员")
    with django_capture_on_commit_callbacks(execute=True):
        package = filing_package_request(actor=officer, filing_id=filed.pk, origin=ORIGIN)
    package.refresh_from_db()
    assert package.status == "ready" and package.progress_done == package.progress_total == len(SECTION_KEYS)
    built = LogEntry.objects.get(kind="compliance.filing.package")
    assert built.actor_id == officer.pk and built.data["version"] == filed.version
    assert built.data["sha256"] == package.package_sha256

    client.force_login(officer)
    listing = client.get(reverse("admin:compliance_filingpackage_changelist")).content.decode()
    assert 'value="100"' in listing and package.package_sha256[:16] in listing
    response = client.get(reverse("admin:compliance_filing_download", args=[package.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
    download = LogEntry.objects.get(kind="compliance.filing.download")
    assert download.actor_id == officer.pk and download.data["sha256"] == package.package_sha256

    stranger = UserFactory(is_staff=True)
    client.force_login(stranger)
    assert client.get(reverse("admin:compliance_filing_download", args=[package.pk])).status_code == 403
    assert LogEntry.objects.filter(kind="compliance.filing.download").count() == 1


@pytest.mark.clause("G7a")
def test_edits_in_groups_and_accounts_make_an_unfiled_version_through_the_kernel_hook(admin_client, admin_user,
                                                                                     filed):
    assert [f.__module__ for f in hooks_for(kernel_filing.CHANGED)] == ["compliance.services.filing"]
    assert hooks_for("grade_table.changed") == []  # groups no longer files anything itself

    response = admin_client.post(reverse("admin:groups_groupcategory_add"), {
        "slug": "sports", "name_zh": "体育", "name_en": "Sports", "min_review_rank": 0, "active": "on",
        "order": 9})
    assert response.status_code == 302, response.content[:2000]
    version = filing_unfiled()
    assert version.version == 2 and "added" in version.change_summary and version.created_by == admin_user
    assert "sports" in {c["slug"] for c in version.snapshot["categories"]}
    filing_mark_filed(actor=admin_user, filing=version, filing_number="京网信备-002")

    account_services.grade_permission_update(actor=admin_user, grade="D", values={"groups_joined_max": 20})
    version = filing_unfiled()
    assert version.version == 3 and "groups_joined_max" in version.change_summary
    assert list(LogEntry.objects.filter(kind="compliance.filing_version").values_list("data__version", flat=True)
                ) == [1, 2, 3]

    # Same transaction: an edit rolled back leaves no version behind.
    with pytest.raises(RuntimeError), transaction.atomic():
        account_services.grade_permission_update(actor=admin_user, grade="D", values={"groups_joined_max": 10})
        raise RuntimeError("the edit fails after the hook ran")
    assert FilingRecord.objects.count() == 3 and GradePermission.objects.get(grade="D").groups_joined_max == 20


@pytest.mark.clause("G7a")
def test_every_tier_system_page_alerts_until_the_newest_version_is_filed(admin_client, admin_user, filed):
    pages = [reverse("admin:groups_tierpolicy_changelist"), reverse("admin:groups_groupcategory_changelist"),
             reverse("admin:accounts_gradepermission_changelist"), reverse("admin:compliance_filingrecord_changelist")]
    assert all(UNFILED not in admin_client.get(page).content.decode() for page in pages)
    GroupCategory.objects.filter(slug="other").update(min_review_rank=3)
    version = filing_version_create(actor=admin_user, summary="category other: min_review_rank")
    for page in pages:
        text = admin_client.get(page).content.decode()
        assert UNFILED in text and f"第{version.version}版" in text, page
    dashboard = admin_client.get(reverse("admin:compliance_dashboard")).content.decode()
    assert f"version {version.version} not filed" in dashboard and "/admin/compliance/filingrecord/" in dashboard

    # The officer types the authority's number on the record and saves: filed, recorded, the alert gone.
    response = admin_client.post(reverse("admin:compliance_filingrecord_change", args=[version.pk]),
                                 {"filing_number": "京网信备-002", "authority": "北京市网信办"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.filed and version.filing_number == "京网信备-002" and version.authority == "北京市网信办"
    assert LogEntry.objects.filter(kind="compliance.filing_filed", data__version=version.version).exists()
    assert all(UNFILED not in admin_client.get(page).content.decode() for page in pages)


def _table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        return name in connection.introspection.table_names(cursor)


@pytest.mark.clause("G7a")
def test_filing_rows_survive_the_move_out_of_groups_and_back(admin_user, filed):
    TierPolicy.objects.filter(slug="small").update(link_join_max_members=150)
    second = filing_version_create(actor=admin_user, summary="tier small: link_join_max_members")
    assert second.version == 2
    content_type = ContentType.objects.get_for_model(FilingRecord)
    before = list(FilingRecord.objects.order_by("pk").values_list("pk", "version", "filed", "filing_number",
                                                                  "created_by_id", "snapshot"))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks while tables are altered
    executor = MigrationExecutor(connection)
    move = ("compliance", "0006_filing_records")
    parent = next(p for p in executor.loader.graph.node_map[move].parents if p.key[0] == "compliance").key
    executor.migrate([parent, ("groups", "0008_chat_group_names")])  # before the move
    assert _table_exists("groups_filingrecord") and not _table_exists("compliance_filingrecord")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, version, filed, filing_number FROM groups_filingrecord ORDER BY id")
        assert cursor.fetchall() == [row[:4] for row in before]
    assert ContentType.objects.filter(pk=content_type.pk, app_label="groups").exists()

    executor.loader.build_graph()
    executor.migrate([move])  # and the move again
    assert _table_exists("compliance_filingrecord") and not _table_exists("groups_filingrecord")
    ContentType.objects.clear_cache()
    assert list(FilingRecord.objects.order_by("pk").values_list("pk", "version", "filed", "filing_number",
                                                                "created_by_id", "snapshot")) == before
    assert ContentType.objects.get_for_model(FilingRecord).pk == content_type.pk  # permissions keep their rows
    assert filing_unfiled() == second


@pytest.mark.clause("G7a")
def test_the_demo_data_shows_a_filed_version_matching_the_live_tier_system_and_a_second_run_changes_nothing(
        client):
    from accounts.models import User
    from groupchat.demo.management.commands.seed_demo import DEMO_FILING_NUMBER
    from groups.selectors_tiers import tier_system_snapshot

    call_command("seed_demo", stdout=io.StringIO())
    filing = FilingRecord.objects.get()
    assert filing.filed and filing.filing_number == DEMO_FILING_NUMBER and "DEMO" in filing.filing_number
    assert filing.snapshot == tier_system_snapshot() and filing_unfiled() is None
    records = LogEntry.objects.filter(kind__startswith="compliance.filing").count()

    call_command("seed_demo", stdout=io.StringIO())
    assert list(FilingRecord.objects.values_list("pk", "filed", "filing_number")) == [
        (filing.pk, True, DEMO_FILING_NUMBER)]
    assert LogEntry.objects.filter(kind__startswith="compliance.filing").count() == records == 2
    client.force_login(User.objects.get(username="compliance"))
    page = client.get(reverse("admin:compliance_filingrecord_changelist")).content.decode()
    assert "DEMO-2026-0001" in page
