"""Groups, their public codes, membership and roles, joining, messages.

A group is addressed everywhere by its public 10-digit ``code`` (REGULATION G8b), never by its database id.
Messages carry a contiguous per-group ``seq`` so clients can detect gaps and resume from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groupchat.core.language import pick


class GroupStatus(models.TextChoices):
    OPEN = "open", _("open")
    SUSPENDED = "suspended", _("posting suspended")
    CLOSED = "closed", _("closed")


class JoinMode(models.TextChoices):
    OPEN = "open", _("anyone may join")
    APPROVAL = "approval", _("an owner or admin approves")
    QUESTION = "question", _("answer a question, then approval")
    INVITE = "invite", _("by invitation only")


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    ADMIN = "admin", _("admin")
    MEMBER = "member", _("member")


class GroupCode(models.Model):
    """Every group code ever issued. Insert-only: a code is never reused, even after its group is gone."""

    code = models.CharField(_("group code"), max_length=10, primary_key=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("group code")
        verbose_name_plural = _("group codes")

    def __str__(self) -> str:
        return self.code


class Group(models.Model):
    code = models.CharField(_("group code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=40, blank=True)
    announcement = models.TextField(_("announcement"), blank=True)
    rules = models.TextField(_("group rules"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=GroupStatus.choices, default=GroupStatus.OPEN)
    status_until = models.DateTimeField(_("status until"), null=True, blank=True)
    status_reason = models.CharField(_("status reason"), max_length=200, blank=True)
    all_muted = models.BooleanField(_("everyone muted"), default=False)
    join_mode = models.CharField(_("join mode"), max_length=10, choices=JoinMode.choices, default=JoinMode.APPROVAL)
    join_question = models.CharField(_("join question"), max_length=200, blank=True)
    is_public = models.BooleanField(_("public"), default=True, help_text=_("findable by code and name"))
    tier = models.ForeignKey("TierPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="groups", verbose_name=_("tier"))
    # Computed by the daily sweep (G7a): 30-day average messages per day and the bands derived from it and the size.
    activity_avg = models.FloatField(_("activity (messages per day)"), default=0)
    activity_band = models.CharField(_("activity band"), max_length=10, default="quiet")
    size_band = models.CharField(_("size band"), max_length=20, blank=True)
    member_cap = models.PositiveIntegerField(_("member cap"), default=200)
    member_count = models.PositiveIntegerField(_("member count"), default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_groups", verbose_name=_("owner"))
    # An ownership transfer waits here until the new owner acknowledges the owner's duties (G9a).
    pending_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("pending owner"))
    # The last seq handed out; incremented under the row lock inside each message's transaction.
    last_seq = models.BigIntegerField(_("last seq"), default=0)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # Moved (under the row lock) by every write that changes who may send here (send_gate_bump); the store compares
    # it with the value its batch was checked against, so a measure committed after the check still bites.
    send_gate = models.BigIntegerField(_("send gate"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Group credit stars on the QQ model (G11a), changed only by a moderator's measure (groups.services.platform):
    # 5 no limits, 4 lower in search, 3 hidden from search, 2 no new members, 1 disabled.
    credit_stars = models.PositiveSmallIntegerField(_("credit stars"), default=5)
    # Set while the group is on the platform blacklist (G11c): not found in search, nobody joins or is invited.
    blacklisted_until = models.DateTimeField(_("blacklisted until"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("chat groups")
        verbose_name = _("chat group")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("chat group"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("invited by")
    )
    muted_until = models.DateTimeField(_("muted until"), null=True, blank=True)
    # A platform measure (G11b) suspends an owner's or admin's powers until then; the role stays, so does membership.
    admin_suspended_until = models.DateTimeField(_("admin powers suspended until"), null=True, blank=True)
    last_read_seq = models.BigIntegerField(_("last read seq"), default=0)
    rules_accepted_at = models.DateTimeField(_("rules accepted at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("memberships")
        verbose_name = _("membership")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["user", "group"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} as {self.role}"


class Ban(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="bans", verbose_name=_("chat group"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("banned by"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name_plural = _("bans")
        verbose_name = _("ban")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="ban_unique")]

    def __str__(self) -> str:
        return f"ban of {self.user_id} in {self.group_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


class JoinRequest(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("chat group"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("user"))
    answer = models.CharField(_("answer"), max_length=400, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("join requests")
        verbose_name = _("join request")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], condition=models.Q(status="pending"),
                                    name="one_pending_request")
        ]

    def __str__(self) -> str:
        return f"request of {self.user_id} to {self.group_id} ({self.status})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class Invitation(models.Model):
    """A personal invitation (``invitee`` set, who must accept) or a shareable link (``invitee`` empty)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("chat group"))
    inviter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("inviter"))
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="invitations", verbose_name=_("invitee"))
    token = models.CharField(_("token"), max_length=43, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation to {self.group_id} ({self.status})"

    @property
    def is_link(self) -> bool:
        return self.invitee_id is None


class MessageKind(models.TextChoices):
    TEXT = "text", _("text")
    SYSTEM = "system", _("system notice")


class Message(models.Model):
    id = models.BigAutoField(_("ID"), primary_key=True)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="messages", verbose_name=_("chat group"))
    seq = models.BigIntegerField(_("seq"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sender"))
    client_id = models.CharField(_("client id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Deleting hides a message from everyone; the row stays for the network log (G13b).
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("removed by"))
    removed_reason = models.CharField(_("reason for removal"), max_length=200, blank=True)
    # A removed message's text goes once the log's retention has passed since its removal (messages_content_clear);
    # the row, its seq and who removed it stay.
    content_cleared_at = models.DateTimeField(_("content cleared at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("messages")
        verbose_name = _("message")
        constraints = [
            models.UniqueConstraint(fields=["group", "seq"], name="message_group_seq"),
            models.UniqueConstraint(fields=["sender", "client_id"], name="message_sender_client_id"),
        ]
        indexes = [
            # The daily clearing finds the few removed, not yet cleared rows without reading the whole table.
            models.Index(fields=["removed_at", "id"], name="message_removed_uncleared",
                         condition=models.Q(removed_at__isnull=False, content_cleared_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}#{self.seq}"


class AuditAction(models.TextChoices):
    CREATE = "create", _("group created")
    UPDATE = "update", _("name/announcement/rules changed")
    JOIN = "join", _("member joined")
    LEAVE = "leave", _("member left")
    REMOVE = "remove", _("member removed")
    BAN = "ban", _("member banned")
    UNBAN = "unban", _("ban lifted")
    MUTE = "mute", _("member muted")
    UNMUTE = "unmute", _("member unmuted")
    MUTE_ALL = "mute_all", _("whole group muted")
    UNMUTE_ALL = "unmute_all", _("whole group unmuted")
    APPROVE = "approve", _("join request approved")
    REFUSE = "refuse", _("join request refused")
    INVITE = "invite", _("invitation sent")
    LINK = "link", _("invite link created")
    DELETE_MESSAGE = "delete_message", _("message deleted")
    ROLE = "role", _("role changed")
    TRANSFER = "transfer", _("ownership transferred")
    SETTINGS = "settings", _("join settings changed")
    CLOSE = "close", _("group closed")


class GroupAuditEvent(models.Model):
    """What owners and admins did in a group (G9b), visible to the group's owner and admins."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="audit_events", verbose_name=_("chat group"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("actor"))
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    target = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("target"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name_plural = _("group audit events")
        verbose_name = _("group audit event")
        indexes = [models.Index(fields=["group", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} in {self.group_id}"


class OwnerDutyAcknowledgement(models.Model):
    """The owner's acknowledgement of the duties of running a group (G9a), at creation and on transfer."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="duty_acknowledgements", verbose_name=_("chat group"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    occasion = models.CharField(_("occasion"), max_length=12)  # create | transfer | admin
    text_version = models.CharField(_("text version"), max_length=20, default="2017-1")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("owner duty acknowledgement")
        verbose_name_plural = _("owner duty acknowledgements")

    def __str__(self) -> str:
        return f"{self.occasion} acknowledgement by {self.user_id}"


# --- tiered management (REGULATION G7a, G8a, G8c; §5 items 1-4, 9) ---------------------------------------------------


class ScreeningIntensity(models.TextChoices):
    STANDARD = "standard", _("standard")
    ENHANCED = "enhanced", _("enhanced (hold borderline items for review)")
    STRICT = "strict", _("strict (hold every flagged item; sample for review)")


# REGULATION §5.4: owners of groups over 100 members need L2; §5.13: minors cannot own groups over 100 members.
OWNER_L2_ABOVE_MEMBERS = 100


class TierPolicy(models.Model):
    """One size tier and what it demands. Edited in the admin; every change makes a new filing version."""

    slug = models.SlugField(_("slug"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("1 = smallest"))
    max_members = models.PositiveIntegerField(_("members (max)"))
    owner_verification_level = models.PositiveSmallIntegerField(_("owner verification level"), default=1, help_text=_("1 phone, 2 identity, 3 org"))
    owner_min_grade = models.CharField(_("owner's lowest grade"), max_length=1, default="C", help_text=_("lowest credit grade (A-D) to own"))
    requires_review = models.BooleanField(_("requires review"), default=False, help_text=_("the platform reviews the group before it opens"))
    review_exempt_level = models.PositiveSmallIntegerField(
        _("review exempt from level"), default=0,
        help_text=_("owners verified at this level or higher skip the review (0 = nobody skips it)"))
    join_modes = models.JSONField(_("join modes"), default=list, help_text=_("allowed join modes, e.g. [\"open\", \"approval\"]"))
    link_join_max_members = models.PositiveIntegerField(_("link joining up to (members)"), default=200, help_text=_("invite links refused at this size"))
    approval_from_members = models.PositiveIntegerField(_("approval from (members)"), default=500, help_text=_("joining needs approval from here"))
    invitee_accept_above = models.PositiveIntegerField(_("invitee accepts above (members)"), default=40, help_text=_("invitees must accept above this size"))
    info_required_from_members = models.PositiveIntegerField(_("info required from (members)"), default=100, help_text=_("category + rules mandatory"))
    screening_intensity = models.CharField(_("screening intensity"), max_length=10, choices=ScreeningIntensity.choices,
                                           default=ScreeningIntensity.STANDARD)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tier policy")
        ordering = ["rank"]
        verbose_name_plural = _("tier policies")

    def __str__(self) -> str:
        return f"{self.slug} (≤{self.max_members})"

    def clean(self) -> None:
        """Legal floors an operator cannot go below (the admin shows the message): an owner is verified at least at
        the level needed to post (G6a), and at L2 for a group of more than ``OWNER_L2_ABOVE_MEMBERS`` (§5.4)."""
        from django.core.exceptions import ValidationError

        from accounts.conf import conf

        floor = max(1, int(conf("POST_LEVEL")))
        if self.owner_verification_level is not None and self.owner_verification_level < floor:
            raise ValidationError({"owner_verification_level": (
                f"群主至少需要L{floor}级认证（发言所需的级别）。 / An owner needs at least L{floor} (the level "
                f"needed to post).")})
        if (self.max_members or 0) > OWNER_L2_ABOVE_MEMBERS and (self.owner_verification_level or 0) < 2:
            raise ValidationError({"owner_verification_level": (
                f"超过{OWNER_L2_ABOVE_MEMBERS}人的群，群主须L2（身份证）或更高级别认证。 / Owners of groups over "
                f"{OWNER_L2_ABOVE_MEMBERS} members need L2 (identity) or higher.")})

    def name(self, language: str) -> str:
        return pick(language, zh=self.name_zh, en=self.name_en)


class GroupCategory(models.Model):
    """The nature of a group (G7a classification). A category may demand a higher tier of review."""

    slug = models.SlugField(_("slug"), max_length=30, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40)
    min_review_rank = models.PositiveSmallIntegerField(_("reviewed from tier rank"),
        default=0, help_text=_("groups of this category at or above this tier rank are reviewed (0 = tier decides)"))
    active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("group category")
        ordering = ["order", "slug"]
        verbose_name_plural = _("group categories")

    def __str__(self) -> str:
        return self.slug

    def name(self, language: str) -> str:
        return pick(language, zh=self.name_zh, en=self.name_en)


class TierChange(models.Model):
    """Every change of a group's tier, with its reason; shown to the owner."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="tier_changes", verbose_name=_("chat group"))
    from_tier = models.ForeignKey(TierPolicy, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("from tier"))
    to_tier = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("to tier"))
    reason = models.CharField(_("reason"), max_length=20)  # create | upgrade | review | size | policy
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name_plural = _("tier changes")
        verbose_name = _("tier change")
        indexes = [models.Index(fields=["group", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.from_tier_id} -> {self.to_tier_id} ({self.reason})"


class GroupActivityDay(models.Model):
    """The group's ``last_seq`` at each daily sweep: activity = seq growth over 30 days, without scanning messages."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+", verbose_name=_("chat group"))
    day = models.DateField(_("day"))
    last_seq = models.BigIntegerField(_("last seq"))
    member_count = models.PositiveIntegerField(_("member count"))

    class Meta:
        verbose_name_plural = _("group activity days")
        verbose_name = _("group activity day")
        constraints = [models.UniqueConstraint(fields=["group", "day"], name="activity_day_unique")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.group_id}@{self.day}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("pending review")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class GroupApplication(models.Model):
    """A group (or a tier upgrade) waiting for platform review before it opens (G8c)."""

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("applicant"))
    tier = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier"))
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="applications",
                              help_text=_("the group to upgrade, or the group created on approval"), verbose_name=_("chat group"))
    is_upgrade = models.BooleanField(_("upgrade"), default=False)
    data = models.JSONField(_("data"), default=dict, blank=True, help_text=_("name, category, join mode, texts of a new group"))
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("group application")
        verbose_name_plural = _("group applications")

    def __str__(self) -> str:
        return f"application {self.pk} ({self.status})"
