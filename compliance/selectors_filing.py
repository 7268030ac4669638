"""The live configuration the filing package (G7a, 备案材料) describes, read when the package is built, never from a
stored snapshot: each section is read through the owning app's selectors, settings and constants.

``FILING_SECTIONS`` lists the sections in the document's order; the build reads them one by one (its progress).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from accounts import idnumbers
from accounts.conf import conf as accounts_conf
from accounts.models import GradePermission, IdentityReveal, User
from accounts.roles import role_permissions
from accounts.selectors import agreements_current, grade_table
from complaints.categories import reasons
from complaints.conf import conf as complaints_conf
from complaints.models import Holiday
from groups.models import GroupCategory, TierPolicy
from groups.selectors_tiers import CATEGORY_FIELDS, TIER_FIELDS, tier_scale, tier_system_snapshot
from moderation.appeals import APPEAL_DAYS
from moderation.measures import BLACKLIST_DAYS
from moderation.models_measures import GROUP_KINDS, LASTING_KINDS, USER_KINDS, MeasureKind, TargetType
from moderation.models_screening import SwitchKind
from moderation.switches import switch_states

from . import conf
from .models import FilingRecord

OPERATOR_SETTINGS = [  # setting, zh, en
    ("OPERATOR_NAME", "运营主体名称", "Operator"),
    ("OPERATOR_CREDIT_CODE", "统一社会信用代码", "Unified social credit code"),
    ("OPERATOR_SERVICE_NAME", "服务名称", "Service name"),
    ("OPERATOR_CONTACT", "负责人及联系方式", "Person responsible and contact"),
    ("OPERATOR_ADDRESS", "住所", "Address"),
]


@dataclass
class ConfigSection:
    """One part of the package: its data (``data/<key>.json``), an optional table (``data/<key>.csv``, and the
    document's table), and paragraphs for the document."""

    key: str
    title_zh: str
    title_en: str
    data: Any
    headers: list[str] = field(default_factory=list)  # the CSV's column names
    rows: list[list[Any]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # the document's column headings, when not ``headers``


def _labels(model, names) -> list[str]:
    """Each field's verbose name in Chinese and English ("成员上限 / members (max)"), for the document's headings."""
    out = []
    for name in names:
        verbose = model._meta.get_field(name).verbose_name
        with translation.override("zh-hans"):
            zh = str(verbose)
        with translation.override("en"):
            en = str(verbose)
        out.append(en if zh == en else f"{zh} / {en}")
    return out


def operator_section() -> ConfigSection:
    values = {name: getattr(settings, name, "") for name, _zh, _en in OPERATOR_SETTINGS}
    demo = bool(getattr(settings, "OPERATOR_IS_DEMO", False))
    missing = [name for name, value in values.items() if not value]
    paragraphs = []
    if demo:
        paragraphs.append("以下为演示数据（嵌入模式的默认值），不得用于备案。/ DEMO VALUES (embedded mode's defaults): "
                          "not for filing.")
    if missing:
        paragraphs.append("未配置 / not configured: " + ", ".join(missing))
    return ConfigSection("operator", "运营主体", "Operator", {**values, "demo": demo, "missing": missing},
                         headers=["项目 / Item", "内容 / Value"],
                         rows=[[f"{zh} / {en}", values[name] or "—"] for name, zh, en in OPERATOR_SETTINGS],
                         paragraphs=paragraphs)


def scale_section() -> ConfigSection:
    rows = tier_scale()
    data = [{"tier": r.tier, "groups": r.groups, "members": r.members} for r in rows]
    return ConfigSection("scale", "各级群组规模", "Scale per tier",
                         {"at": timezone.now().isoformat(), "tiers": data,
                          "users_active": User.objects.filter(is_active=True).count()},
                         headers=["级别 / Tier", "群组数 / Groups", "成员数 / Members"],
                         rows=[[r.tier or "（未分级）/ (no tier)", r.groups, r.members] for r in rows])


def tiers_section() -> ConfigSection:
    tiers = tier_system_snapshot()["tiers"]
    return ConfigSection("tiers", "分级管理（群组级别及其管理要求）", "Tier matrix and its controls", tiers,
                         headers=list(TIER_FIELDS), rows=[[t[k] for k in TIER_FIELDS] for t in tiers],
                         labels=_labels(TierPolicy, TIER_FIELDS),
                         paragraphs=["每级的成员上限、群主认证级别与信用等级、平台审核、加群方式与内容审核强度。/ Per tier: "
                                     "member cap, owner verification level and grade, platform review, join modes "
                                     "and screening intensity."])


def categories_section() -> ConfigSection:
    categories = tier_system_snapshot()["categories"]
    return ConfigSection("categories", "分类管理（群组类别）", "Group categories", categories,
                         headers=list(CATEGORY_FIELDS), rows=[[c[k] for k in CATEGORY_FIELDS] for c in categories],
                         labels=_labels(GroupCategory, CATEGORY_FIELDS))


GRADE_CAP_FIELDS = ["grade", "groups_owned_max", "groups_created_per_day", "groups_joined_max", "admin_eligible",
                    "max_owned_tier", "message_rate"]


def grade_caps_section() -> ConfigSection:
    caps = [{k: getattr(g, k) for k in GRADE_CAP_FIELDS} for g in grade_table()]
    return ConfigSection("grade_caps", "按信用等级的数量上限", "Caps per credit grade", caps,
                         headers=GRADE_CAP_FIELDS, rows=[[c[k] for k in GRADE_CAP_FIELDS] for c in caps],
                         labels=_labels(GradePermission, GRADE_CAP_FIELDS))


def credit_section() -> ConfigSection:
    grades = accounts_conf("CREDIT_GRADES")
    data = {"start": accounts_conf("CREDIT_START"), "grades": [{"grade": g, "from_score": s} for g, s in grades],
            "recovery_days": accounts_conf("CREDIT_RECOVERY_DAYS"),
            "recovery_points": accounts_conf("CREDIT_RECOVERY_POINTS"),
            "penalties": accounts_conf("CREDIT_PENALTIES"),
            "appeal_days": APPEAL_DAYS, "appeal_decided_by": "another moderator than the one who took the measure"}
    penalties = ", ".join(f"{k} {v}" for k, v in data["penalties"].items())
    return ConfigSection(
        "credit", "信用管理与申诉", "Credit system and appeals", data,
        headers=["等级 / Grade", "分数下限 / From score"], rows=[[g, s] for g, s in grades],
        paragraphs=[f"信用分 0-100，初始 {data['start']}；确认违规扣分（{penalties}）；每 {data['recovery_days']} 天无违规 "
                    f"+{data['recovery_points']}，不超过初始分。/ Score 0-100, start {data['start']}; confirmed "
                    f"violations cost ({penalties}); +{data['recovery_points']} per {data['recovery_days']} clean "
                    "days up to the start score.",
                    f"对处置措施可在 {APPEAL_DAYS} 天内申诉一次，由另一名审核员决定。/ A measure may be appealed once "
                    f"within {APPEAL_DAYS} days; another moderator decides."])


def measures_section() -> ConfigSection:
    kinds = [{"kind": k.value, "label": k.label, "on_groups": k in GROUP_KINDS, "on_users": k in USER_KINDS,
              "lasting": k in LASTING_KINDS} for k in MeasureKind]
    data = {"kinds": kinds, "blacklist": {"days": list(BLACKLIST_DAYS), "permanent": True,
                                          "targets": [t.label for t in TargetType]}}
    days = " / ".join(str(d) for d in BLACKLIST_DAYS)
    return ConfigSection(
        "measures", "处置措施与黑名单", "Measures and blacklist rules", data,
        headers=["措施 / Measure", "群组 / Groups", "用户 / Users", "持续 / Lasting"],
        rows=[[k["label"], k["on_groups"], k["on_users"], k["lasting"]] for k in kinds],
        paragraphs=[f"黑名单期限 {days} 天或永久，对象：群组、用户、身份（密钥散列）。/ Blacklist for {days} days or "
                    "permanently; on groups, users and identities (keyed hash)."])


def complaints_section() -> ConfigSection:
    today = timezone.localdate()
    holidays = list(Holiday.objects.filter(date__gte=today).order_by("date").values_list("date", "name", "working"))
    urgent = [r.code for r in reasons("en") if r.urgent]
    data = {"entry": reverse("report"), "urgent_hours": complaints_conf("URGENT_HOURS"),
            "triage_hours": complaints_conf("TRIAGE_HOURS"),
            "decide_working_days": complaints_conf("DECIDE_WORKING_DAYS"), "urgent_categories": urgent,
            "working_days": "Monday-Friday, except the holiday table; weekend days in it marked working count",
            "holidays_ahead": [{"date": d.isoformat(), "name": n, "working": w} for d, n, w in holidays]}
    return ConfigSection(
        "complaints", "投诉举报渠道与处理时限", "Complaint channel and deadlines", data,
        headers=["日期 / Date", "名称 / Name", "调休上班 / Working"], rows=[list(h) for h in holidays],
        paragraphs=[f"每条消息、成员、资料页与群组页均有举报入口（{data['entry']}）。/ A report entry on every message, "
                    f"member, profile and group page ({data['entry']}).",
                    f"紧急类别 {data['urgent_hours']} 小时内处理；其他 {data['triage_hours']} 小时内受理、"
                    f"{data['decide_working_days']} 个工作日内办结（工作日不含周末与节假日表，调休日计入）。/ Urgent "
                    f"categories within {data['urgent_hours']} h; others triaged within {data['triage_hours']} h and "
                    f"decided within {data['decide_working_days']} working days (weekends and the holiday table "
                    "excluded, weekend days worked in exchange included). Holidays ahead below."])


def switches_section() -> ConfigSection:
    data = [{"kind": s["kind"], "scope": s["scope"], "on": s["on"], "changed_at": s["changed_at"],
             "changed_by": s["changed_by_id"], "reason": s["reason"]} for s in switch_states()]
    return ConfigSection("switches", "应急开关（当前状态）", "Emergency switches (current state)", data,
                         headers=["开关 / Switch", "范围 / Scope", "开启 / On", "变更时间 / Changed", "理由 / Reason"],
                         rows=[[SwitchKind(d["kind"]).label, d["scope"], d["on"], d["changed_at"], d["reason"]]
                               for d in data])


def retention_section() -> ConfigSection:
    data = {"retention_days": conf.retention_days(), "legal_floor_days": conf.LEGAL_FLOOR_DAYS,
            "seal_slice_seconds": int(conf.SEAL_SLICE.total_seconds()),
            "legal_holds": "records under a legal hold are kept past retention"}
    return ConfigSection(
        "log_retention", "网络日志留存", "Network log retention", data,
        paragraphs=[f"网络日志留存 {data['retention_days']} 天（法定下限 {conf.LEGAL_FLOOR_DAYS} 天，低于下限拒绝启动），"
                    "只可追加，逐分钟封存为签名哈希链；法律保全的记录不清除。/ The network log is kept "
                    f"{data['retention_days']} days (legal floor {conf.LEGAL_FLOOR_DAYS}; below it the platform "
                    "refuses to start), append-only, sealed minute by minute into a signed hash chain; records under "
                    "a legal hold are never purged."])


def identity_section() -> ConfigSection:
    roles = sorted(role for role, perms in role_permissions().items() if "accounts.reveal_identity" in perms)
    reveal = Permission.objects.filter(content_type__app_label="accounts", codename="reveal_identity")
    holders = User.objects.filter(Q(is_superuser=True) | Q(user_permissions__in=reveal) | Q(groups__permissions__in=reveal),
                                  is_active=True).distinct().count()
    data = {"encryption_at_rest": "Fernet (AES-128-CBC + HMAC-SHA256), MultiFernet key rotation",
            "keys_configured": len(settings.FIELD_ENCRYPTION_KEYS),
            "blind_index": "HMAC-SHA256 with a separate key (duplicates and blacklist checks without decrypting)",
            "masking": {"phone": idnumbers.phone_mask("13800138000"),
                        "id_number": idnumbers.id_number_mask("11010519491231002X"),
                        "name": idnumbers.name_mask("张三丰")},
            "reveal_roles": roles, "reveal_permission_holders": holders,
            "reveals_recorded": IdentityReveal.objects.count()}
    return ConfigSection(
        "identity", "身份信息保护", "Identity protection", data,
        headers=["项目 / Item", "内容 / Value"],
        rows=[["静态加密 / Encryption at rest", data["encryption_at_rest"]],
              ["密钥数 / Keys configured", data["keys_configured"]],
              ["盲索引 / Blind index", data["blind_index"]],
              ["遮蔽 / Masking", ", ".join(data["masking"].values())],
              ["可查看完整身份的角色 / Roles that may reveal", ", ".join(roles)],
              ["持有该权限的账号 / Accounts holding it", holders],
              ["已记录的查看 / Reveals recorded", data["reveals_recorded"]]],
        paragraphs=["前台只显示昵称；真实身份加密存储，处处遮蔽，查看须填写理由并逐次记录。/ Nicknames in front; the "
                    "real identity encrypted at rest and masked everywhere; a reveal needs a typed reason and each "
                    "one is recorded."])


def agreements_section() -> ConfigSection:
    rows = [{"kind": a.kind, "version": a.version, "title_zh": a.title_zh, "title_en": a.title_en,
             "published_at": a.published_at, "material": a.material, "body_zh": a.body_zh, "body_en": a.body_en}
            for a in agreements_current()]
    return ConfigSection(
        "agreements", "协议文本（现行版本）", "Agreement texts (current versions)", rows,
        headers=["类型 / Kind", "版本 / Version", "标题 / Title", "发布 / Published"],
        rows=[[a["kind"], a["version"], f"{a['title_zh']} / {a['title_en']}", a["published_at"]] for a in rows],
        paragraphs=[f"【{a['title_zh']} {a['version']}】\n{a['body_zh']}" for a in rows])


FILING_COLUMNS = ["version", "created_at", "created_by_id", "change_summary", "filed", "filed_at", "filing_number",
                  "authority"]


def filing_versions_section() -> ConfigSection:
    rows = list(FilingRecord.objects.order_by("version").values_list(*FILING_COLUMNS))
    return ConfigSection("filing_versions", "备案版本变更记录", "Change log of filing versions",
                         [dict(zip(FILING_COLUMNS, r, strict=True)) for r in rows], headers=FILING_COLUMNS,
                         rows=[list(r) for r in rows],
                         labels=_labels(FilingRecord, [c.removesuffix("_id") for c in FILING_COLUMNS]))


FILING_SECTIONS: list[Callable[[], ConfigSection]] = [
    operator_section, scale_section, tiers_section, categories_section, grade_caps_section, credit_section,
    measures_section, complaints_section, switches_section, retention_section, identity_section,
    agreements_section, filing_versions_section,
]
