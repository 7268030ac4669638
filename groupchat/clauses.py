"""The clause IDs of REGULATION.md §1 (the duties of the 互联网群组信息服务管理规定), for the coverage report."""

CLAUSES: dict[str, str] = {
    "G5a": "Art 5¶1 primary responsibility; emergency switches",
    "G5b": "Art 5¶2 rules, convention, service agreement",
    "G6a": "Art 6¶1 back-stage real name, front-stage free",
    "G6b": "Art 6¶2 personal information protection",
    "G7a": "Art 7¶1 tiered, classified management; filing",
    "G7b": "Art 7¶2 user credit grades",
    "G8a": "Art 8¶1 caps on members and groups",
    "G8b": "Art 8¶2 unique group code; info page",
    "G8c": "Art 8¶3 creator review by tier; join verification; role badges",
    "G9a": "Art 9¶1-2 owners and admins responsible",
    "G9b": "Art 9¶3 owner/admin management tools",
    "G10": "Art 10 no prohibited content",
    "G11a": "Art 11¶1 measures against unlawful groups",
    "G11b": "Art 11¶2 measures against unlawful users",
    "G11c": "Art 11¶3 blacklist",
    "G12": "Art 12 complaints and reports",
    "G13a": "Art 13¶1 cooperate with lawful inspection",
    "G13b": "Art 13¶2 network logs kept >= 6 months",
}
