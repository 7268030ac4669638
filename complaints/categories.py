"""The report reasons a reporter picks from: moderation's categories (§2.2 codes) said in plain words.

The legal names stay in moderation.categories (and in the admin); the form shows these, in the order people look
for them: the urgent dangers first.
"""

from __future__ import annotations

from dataclasses import dataclass

from groupchat.core.language import pick
from moderation.categories import BY_CODE, Category

PLAIN: dict[str, tuple[str, str]] = {
    "PLT-THREAT": ("威胁他人人身安全", "Threatens someone's life or safety"),
    "ILL-05": ("恐怖、极端主义内容", "Terrorism or violent extremism"),
    "PLT-MINORS": ("伤害未成年人、儿童色情", "Harms children, or child sexual content"),
    "PLT-FRAUD": ("诈骗、骗钱", "Fraud or a scam"),
    "PLT-GAMBLING": ("赌博", "Gambling"),
    "ILL-09": ("色情、暴力或教唆犯罪", "Pornography, violence or incitement to crime"),
    "ILL-08": ("造谣、传谣", "Spreading rumours"),
    "PLT-BULLY": ("网络暴力、人身攻击", "Bullying or personal attacks"),
    "ILL-10": ("侮辱诽谤、泄露他人隐私", "Insults, defamation or exposing someone's private life"),
    "PLT-INFRINGE": ("侵犯我或企业的合法权益", "Infringes my or a company's rights"),
    "PLT-SPAM": ("垃圾广告、刷屏", "Spam or flooding"),
    "HARM-04": ("性暗示、低俗挑逗", "Sexual innuendo"),
    "HARM-07": ("低俗、庸俗内容", "Vulgar content"),
    "HARM-05": ("血腥、惊悚、残忍内容", "Gory or cruel content"),
    "HARM-06": ("地域歧视、群体歧视", "Regional or group discrimination"),
    "ILL-06": ("煽动民族仇恨、民族歧视", "Incites ethnic hatred"),
    "HARM-08": ("诱导未成年人做危险的事", "Leads minors into danger or bad habits"),
    "ILL-07": ("邪教、封建迷信", "Cults or superstition"),
    "ILL-04": ("歪曲、侮辱英雄烈士", "Defames national heroes and martyrs"),
    "ILL-02": ("危害国家安全、泄露国家秘密", "Endangers national security or leaks state secrets"),
    "ILL-01": ("反对宪法基本原则", "Opposes the Constitution's basic principles"),
    "ILL-03": ("损害国家荣誉和利益", "Harms national honour and interests"),
    "HARM-02": ("炒作绯闻、丑闻", "Hypes gossip and scandals"),
    "HARM-03": ("不当评论灾难事件", "Improper comment on a disaster"),
    "HARM-01": ("标题党、夸大其词", "Clickbait headlines"),
    "HARM-09": ("其他不良内容", "Other harmful content"),
    "ILL-11": ("其他违法内容", "Other unlawful content"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    legal: str
    report_type: str
    urgent: bool


def reasons(language: str | None = None) -> list[Reason]:
    """Every category as a reporter's reason, urgent ones first, in the user's language."""
    out = []
    for code, (zh, en) in PLAIN.items():
        category: Category = BY_CODE[code]
        out.append(Reason(code=code, label=pick(language, zh=zh, en=en), legal=category.name(language),
                          report_type=category.report_type.label, urgent=category.urgent))
    return out


def plain_name(code: str, language: str | None = None) -> str:
    zh, en = PLAIN.get(code, (code, code))
    return pick(language, zh=zh, en=en)
