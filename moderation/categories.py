"""Content categories (网络信息内容生态治理规定 2020, Art 6 and 7, plus the platform's own), shared by screening rules,
measures' reason codes, complaints and the regulator report.

Each category has a stable code, names in Chinese and English, the 12377 report type it maps to, and whether a report
of it is urgent (handled within the hour: terrorism, child sexual content, fraud in progress, threats to life).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from groupchat.core.language import pick


class Report12377(models.TextChoices):
    """The report types of the national reporting centre (12377)."""

    POLITICS = "politics", "政治"
    TERROR = "terror", "暴恐"
    FRAUD = "fraud", "诈骗"
    PORN = "porn", "色情"
    VULGAR = "vulgar", "低俗"
    GAMBLING = "gambling", "赌博"
    INFRINGEMENT = "infringement", "侵权"
    RUMOUR = "rumour", "谣言"


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    report_type: Report12377
    urgent: bool = False
    kind: str = "illegal"  # illegal (Art 6) | harmful (Art 7) | platform

    def name(self, language: str | None = None) -> str:
        return pick(language, zh=self.zh, en=self.en)


_R = Report12377
CATEGORIES: tuple[Category, ...] = (
    Category("ILL-01", "反对宪法所确定的基本原则", "Opposes the basic principles of the Constitution", _R.POLITICS),
    Category("ILL-02", "危害国家安全，泄露国家秘密，颠覆国家政权，破坏国家统一",
             "Endangers national security or unity, leaks state secrets", _R.POLITICS),
    Category("ILL-03", "损害国家荣誉和利益", "Harms national honour and interests", _R.POLITICS),
    Category("ILL-04", "歪曲、丑化、亵渎、否定英雄烈士", "Distorts or defames heroes and martyrs", _R.POLITICS),
    Category("ILL-05", "宣扬恐怖主义、极端主义", "Promotes terrorism or extremism", _R.TERROR, urgent=True),
    Category("ILL-06", "煽动民族仇恨、民族歧视", "Incites ethnic hatred or discrimination", _R.POLITICS),
    Category("ILL-07", "破坏国家宗教政策，宣扬邪教和封建迷信", "Promotes cults or superstition", _R.POLITICS),
    Category("ILL-08", "散布谣言，扰乱经济秩序和社会秩序", "Spreads rumours disturbing social order", _R.RUMOUR),
    Category("ILL-09", "淫秽、色情、赌博、暴力、凶杀、恐怖或者教唆犯罪",
             "Obscenity, gambling, violence, murder or incitement to crime", _R.PORN),
    Category("ILL-10", "侮辱或者诽谤他人，侵害他人名誉、隐私", "Insults or defames others; invades privacy",
             _R.INFRINGEMENT),
    Category("ILL-11", "法律、行政法规禁止的其他内容", "Other content prohibited by law", _R.POLITICS),
    Category("HARM-01", "夸张标题", "Sensational headlines", _R.VULGAR, kind="harmful"),
    Category("HARM-02", "炒作绯闻、丑闻、劣迹", "Hyping gossip and scandals", _R.VULGAR, kind="harmful"),
    Category("HARM-03", "不当评述灾难", "Improper comment on disasters", _R.VULGAR, kind="harmful"),
    Category("HARM-04", "性暗示、性挑逗", "Sexual innuendo", _R.VULGAR, kind="harmful"),
    Category("HARM-05", "血腥、惊悚、残忍", "Gory, horrifying or cruel content", _R.VULGAR, kind="harmful"),
    Category("HARM-06", "煽动人群歧视、地域歧视", "Incites group or regional discrimination", _R.VULGAR, kind="harmful"),
    Category("HARM-07", "低俗、庸俗、媚俗", "Vulgar content", _R.VULGAR, kind="harmful"),
    Category("HARM-08", "诱导未成年人不安全行为或不良嗜好", "Leads minors into unsafe behaviour", _R.VULGAR,
             kind="harmful"),
    Category("HARM-09", "其他对网络生态造成不良影响的内容", "Other content harmful to the online ecosystem", _R.VULGAR,
             kind="harmful"),
    Category("PLT-FRAUD", "诈骗", "Fraud", _R.FRAUD, urgent=True, kind="platform"),
    Category("PLT-GAMBLING", "赌博", "Gambling", _R.GAMBLING, kind="platform"),
    Category("PLT-SPAM", "垃圾广告", "Spam", _R.VULGAR, kind="platform"),
    Category("PLT-BULLY", "网络暴力", "Cyberbullying", _R.INFRINGEMENT, kind="platform"),
    Category("PLT-MINORS", "危害未成年人（含儿童色情）", "Harm to minors (incl. child sexual content)", _R.PORN,
             urgent=True, kind="platform"),
    Category("PLT-THREAT", "威胁他人生命安全", "Threat to someone's life", _R.TERROR, urgent=True, kind="platform"),
    Category("PLT-INFRINGE", "侵犯个人或企业合法权益", "Infringes a person's or company's rights", _R.INFRINGEMENT,
             kind="platform"),
)
BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
# For model fields: ``models.CharField(max_length=16, choices=CATEGORY_CHOICES)``.
CATEGORY_CHOICES: list[tuple[str, str]] = [(c.code, f"{c.code} {c.zh}") for c in CATEGORIES]


def category(code: str) -> Category:
    """The category with this code; KeyError for an unknown one."""
    return BY_CODE[code]
