"""The clause IDs of the 《互联网群组信息服务管理规定》's duties, with what each asks and where the code that meets it lives.

Tests that prove a duty carry ``@pytest.mark.clause("G8a")``; ``make clauses`` (tests/clause_report.py) collects those
markers and writes docs/compliance.md from this table, the law's text (groupchat.law) and the tests found, so the page
never drifts from the code: CI regenerates it and fails when the committed copy differs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    title: str  # short English label, "Art 8¶1 caps on members and groups"
    article: int
    paragraphs: tuple[int, ...]  # 1-based paragraphs of the article this duty rests on
    duty: str  # the duty in one English sentence
    code: tuple[str, ...]  # files or folders (from the repository root) where the duty is built


CLAUSE_INFO: dict[str, Clause] = {
    "G5a": Clause("Art 5¶1 primary responsibility; emergency switches", 5, (1,),
                  "The platform carries primary responsibility for content security, with staff, roles and technical "
                  "means (review, emergency switches) matched to its scale.",
                  ("accounts/roles.py", "groupchat/core/admin_panels.py", "templates/admin/index.html",
                   "moderation/switches.py", "moderation/roles_screening.py", "moderation/")),
    "G5b": Clause("Art 5¶2 rules, convention, service agreement", 5, (2,),
                  "Publish management rules and a platform convention, sign a service agreement with every user "
                  "(accepted at sign-up, again after a material change).",
                  ("accounts/agreements.py", "accounts/selectors.py", "accounts/gates.py", "accounts/views.py",
                   "templates/accounts/signup.html", "templates/accounts/agreements.html")),
    "G6a": Clause("Art 6¶1 back-stage real name, front-stage free", 6, (1,),
                  "Verify each user's real identity in the back end before any publishing service; front-end "
                  "nicknames stay free.",
                  ("accounts/identity.py", "accounts/providers.py", "accounts/gates.py", "accounts/views_identity.py")),
    "G6b": Clause("Art 6¶2 personal information protection", 6, (2,),
                  "Protect users' personal information from leak, tampering, destruction, sale or unlawful sharing "
                  "(encrypted at rest, masked on screens, every reveal recorded, a published privacy policy).",
                  ("accounts/crypto.py", "accounts/idnumbers.py", "accounts/identity.py", "accounts/roles.py",
                   "accounts/migrations/0004_privacy_policy.py", "templates/accounts/signup.html")),
    "G7a": Clause("Art 7¶1 tiered, classified management; filing", 7, (1,),
                  "Manage groups by tier according to category, size and activity, and keep the rules filed.",
                  ("groups/services/tiers.py", "groups/models.py", "groups/tasks.py", "docs/tiers.md")),
    "G7b": Clause("Art 7¶2 user credit grades", 7, (2,),
                  "Keep a credit grade per user and provide services according to it.",
                  ("accounts/credit.py", "accounts/models.py")),
    "G8a": Clause("Art 8¶1 caps on members and groups", 8, (1,),
                  "Cap the members of a group and the groups a person may create and join.",
                  ("groups/services/membership.py", "groups/services/groups.py")),
    "G8b": Clause("Art 8¶2 unique group code; info page", 8, (2,),
                  "Give every group a unique, displayed identification code, and an info page for groups above a size.",
                  ("groups/codes.py", "groups/views.py", "templates/groups/info.html")),
    "G8c": Clause("Art 8¶3 creator review by tier; join verification; role badges", 8, (3,),
                  "Review creators' identity and credit by tier, verify joins, and mark owners, admins and members.",
                  ("groups/services/groups.py", "groups/services/membership.py", "groups/payloads.py")),
    "G9a": Clause("Art 9¶1-2 owners and admins responsible", 9, (1, 2),
                  "Owners and admins are responsible for managing their groups, and members act lawfully.",
                  ("groups/services/groups.py", "templates/groups/_duties.html")),
    "G9b": Clause("Art 9¶3 owner/admin management tools", 9, (3,),
                  "Give owners and admins the functions they need to manage their groups.",
                  ("groups/services/membership.py", "groups/services/messages.py", "templates/groups/manage.html")),
    "G10": Clause("Art 10 no prohibited content", 10, (),
                  "No content that laws and regulations prohibit may be spread through groups.",
                  ("moderation/categories.py", "moderation/screening/", "moderation/held.py",
                   "groups/screening.py", "groups/services/messages.py")),
    "G11a": Clause("Art 11¶1 measures against unlawful groups", 11, (1,),
                   "Take measures (warning, rectification, suspension, closure) against unlawful groups, keep records "
                   "and report.", ("moderation/",)),
    "G11b": Clause("Art 11¶2 measures against unlawful users", 11, (2,),
                   "Take measures (lower credit, suspend admin rights, revoke creation rights) against unlawful "
                   "owners, admins and users, keep records and report.", ("moderation/", "accounts/credit.py")),
    "G11c": Clause("Art 11¶3 blacklist", 11, (3,),
                   "Keep a blacklist of serious offenders, restrict their functions, keep records and report.",
                   ("moderation/",)),
    "G12": Clause("Art 12 complaints and reports", 12, (1,),
                  "Accept public supervision through a convenient complaint and report entry, handled in time.",
                  ("complaints/",)),
    "G13a": Clause("Art 13¶1 cooperate with lawful inspection", 13, (1,),
                   "Cooperate with lawful supervision and inspection and give the technical support it needs.",
                   ("compliance/",)),
    "G13b": Clause("Art 13¶2 network logs kept >= 6 months", 13, (2,),
                   "Keep network logs for no less than six months.",
                   ("groupchat/core/events.py", "groupchat/core/models.py", "compliance/")),
}

# The short labels, as the pytest plugin's coverage table prints them.
CLAUSES: dict[str, str] = {key: clause.title for key, clause in CLAUSE_INFO.items()}
