"""Groups, their public codes, membership and roles, joining, messages.

A group is addressed everywhere by its public 10-digit ``code`` (REGULATION G8b), never by its database id.
Messages carry a contiguous per-group ``seq`` so clients can detect gaps and resume from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from groupchat.core.language import pick


class GroupStatus(models.TextChoices):
    OPEN = "open", "open"
    SUSPENDED = "suspended", "posting suspended"
    CLOSED = "closed", "closed"


class JoinMode(models.TextChoices):
    OPEN = "open", "anyone may join"
    APPROVAL = "approval", "an owner or admin approves"
    QUESTION = "question", "answer a question, then approval"
    INVITE = "invite", "by invitation only"


class Role(models.TextChoices):
    OWNER = "owner", "owner"
    ADMIN = "admin", "admin"
    MEMBER = "member", "member"


class GroupCode(models.Model):
    """Every group code ever issued. Insert-only: a code is never reused, even after its group is gone."""

    code = models.CharField(max_length=10, primary_key=True)
    issued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code


class Group(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=60)
    category = models.CharField(max_length=40, blank=True)
    announcement = models.TextField(blank=True)
    rules = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=GroupStatus.choices, default=GroupStatus.OPEN)
    status_until = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=200, blank=True)
    all_muted = models.BooleanField(default=False)
    join_mode = models.CharField(max_length=10, choices=JoinMode.choices, default=JoinMode.APPROVAL)
    join_question = models.CharField(max_length=200, blank=True)
    is_public = models.BooleanField(default=True, help_text="findable by code and name")
    tier = models.ForeignKey("TierPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="groups")
    # Computed by the daily sweep (G7a): 30-day average messages per day and the bands derived from it and the size.
    activity_avg = models.FloatField(default=0)
    activity_band = models.CharField(max_length=10, default="quiet")
    size_band = models.CharField(max_length=20, blank=True)
    member_cap = models.PositiveIntegerField(default=200)
    member_count = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_groups")
    # An ownership transfer waits here until the new owner acknowledges the owner's duties (G9a).
    pending_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # The last seq handed out; incremented under the row lock inside each message's transaction.
    last_seq = models.BigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Moved (under the row lock) by every write that changes who may send here (send_gate_bump); the store compares
    # it with the value its batch was checked against, so a measure committed after the check still bites.
    send_gate = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Group credit stars on the QQ model (G11a), changed only by a moderator's measure (groups.services.platform):
    # 5 no limits, 4 lower in search, 3 hidden from search, 2 no new members, 1 disabled.
    credit_stars = models.PositiveSmallIntegerField(default=5)
    # Set while the group is on the platform blacklist (G11c): not found in search, nobody joins or is invited.
    blacklisted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    muted_until = models.DateTimeField(null=True, blank=True)
    # A platform measure (G11b) suspends an owner's or admin's powers until then; the role stays, so does membership.
    admin_suspended_until = models.DateTimeField(null=True, blank=True)
    last_read_seq = models.BigIntegerField(default=0)
    rules_accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["user", "group"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} as {self.role}"


class Ban(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="ban_unique")]

    def __str__(self) -> str:
        return f"ban of {self.user_id} in {self.group_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "pending"
    APPROVED = "approved", "approved"
    REFUSED = "refused", "refused"
    WITHDRAWN = "withdrawn", "withdrawn"


class JoinRequest(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    answer = models.CharField(max_length=400, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], condition=models.Q(status="pending"),
                                    name="one_pending_request")
        ]

    def __str__(self) -> str:
        return f"request of {self.user_id} to {self.group_id} ({self.status})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "pending"
    ACCEPTED = "accepted", "accepted"
    DECLINED = "declined", "declined"
    REVOKED = "revoked", "revoked"
    EXPIRED = "expired", "expired"


class Invitation(models.Model):
    """A personal invitation (``invitee`` set, who must accept) or a shareable link (``invitee`` empty)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    inviter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="invitations")
    token = models.CharField(max_length=43, unique=True)
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    uses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"invitation to {self.group_id} ({self.status})"

    @property
    def is_link(self) -> bool:
        return self.invitee_id is None


class MessageKind(models.TextChoices):
    TEXT = "text", "text"
    SYSTEM = "system", "system notice"


class Message(models.Model):
    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="messages")
    seq = models.BigIntegerField()
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Deleting hides a message from everyone; the row stays for the network log (G13b).
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "seq"], name="message_group_seq"),
            models.UniqueConstraint(fields=["sender", "client_id"], name="message_sender_client_id"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}#{self.seq}"


class AuditAction(models.TextChoices):
    CREATE = "create", "group created"
    UPDATE = "update", "name/announcement/rules changed"
    JOIN = "join", "member joined"
    LEAVE = "leave", "member left"
    REMOVE = "remove", "member removed"
    BAN = "ban", "member banned"
    UNBAN = "unban", "ban lifted"
    MUTE = "mute", "member muted"
    UNMUTE = "unmute", "member unmuted"
    MUTE_ALL = "mute_all", "whole group muted"
    UNMUTE_ALL = "unmute_all", "whole group unmuted"
    APPROVE = "approve", "join request approved"
    REFUSE = "refuse", "join request refused"
    INVITE = "invite", "invitation sent"
    LINK = "link", "invite link created"
    DELETE_MESSAGE = "delete_message", "message deleted"
    ROLE = "role", "role changed"
    TRANSFER = "transfer", "ownership transferred"
    SETTINGS = "settings", "join settings changed"
    CLOSE = "close", "group closed"


class GroupAuditEvent(models.Model):
    """What owners and admins did in a group (G9b), visible to the group's owner and admins."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    target = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["group", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} in {self.group_id}"


class OwnerDutyAcknowledgement(models.Model):
    """The owner's acknowledgement of the duties of running a group (G9a), at creation and on transfer."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="duty_acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    occasion = models.CharField(max_length=12)  # create | transfer | admin
    text_version = models.CharField(max_length=20, default="2017-1")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.occasion} acknowledgement by {self.user_id}"


# --- tiered management (REGULATION G7a, G8a, G8c; §5 items 1-4, 9) ---------------------------------------------------


class ScreeningIntensity(models.TextChoices):
    STANDARD = "standard", "standard"
    ENHANCED = "enhanced", "enhanced (hold borderline items for review)"
    STRICT = "strict", "strict (hold every flagged item; sample for review)"


class TierPolicy(models.Model):
    """One size tier and what it demands. Edited in the admin; every change makes a new filing version."""

    slug = models.SlugField(max_length=20, unique=True)
    name_zh = models.CharField(max_length=40)
    name_en = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="1 = smallest")
    max_members = models.PositiveIntegerField()
    owner_verification_level = models.PositiveSmallIntegerField(default=1, help_text="1 phone, 2 identity, 3 org")
    owner_min_grade = models.CharField(max_length=1, default="C", help_text="lowest credit grade (A-D) to own")
    requires_review = models.BooleanField(default=False, help_text="the platform reviews the group before it opens")
    join_modes = models.JSONField(default=list, help_text='allowed join modes, e.g. ["open", "approval"]')
    link_join_max_members = models.PositiveIntegerField(default=200, help_text="invite links refused at this size")
    approval_from_members = models.PositiveIntegerField(default=500, help_text="joining needs approval from here")
    invitee_accept_above = models.PositiveIntegerField(default=40, help_text="invitees must accept above this size")
    info_required_from_members = models.PositiveIntegerField(default=100, help_text="category + rules mandatory")
    screening_intensity = models.CharField(max_length=10, choices=ScreeningIntensity.choices,
                                           default=ScreeningIntensity.STANDARD)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank"]
        verbose_name_plural = "tier policies"

    def __str__(self) -> str:
        return f"{self.slug} (≤{self.max_members})"

    def name(self, language: str) -> str:
        return pick(language, zh=self.name_zh, en=self.name_en)


class GroupCategory(models.Model):
    """The nature of a group (G7a classification). A category may demand a higher tier of review."""

    slug = models.SlugField(max_length=30, unique=True)
    name_zh = models.CharField(max_length=40)
    name_en = models.CharField(max_length=40)
    min_review_rank = models.PositiveSmallIntegerField(
        default=0, help_text="groups of this category at or above this tier rank are reviewed (0 = tier decides)")
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = "group categories"

    def __str__(self) -> str:
        return self.slug

    def name(self, language: str) -> str:
        return pick(language, zh=self.name_zh, en=self.name_en)


class TierChange(models.Model):
    """Every change of a group's tier, with its reason; shown to the owner."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(TierPolicy, null=True, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20)  # create | upgrade | review | size | policy
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["group", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.from_tier_id} -> {self.to_tier_id} ({self.reason})"


class GroupActivityDay(models.Model):
    """The group's ``last_seq`` at each daily sweep: activity = seq growth over 30 days, without scanning messages."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_seq = models.BigIntegerField()
    member_count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "day"], name="activity_day_unique")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.group_id}@{self.day}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "pending review"
    APPROVED = "approved", "approved"
    REFUSED = "refused", "refused"


class GroupApplication(models.Model):
    """A group (or a tier upgrade) waiting for platform review before it opens (G8c)."""

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="applications",
                              help_text="the group to upgrade, or the group created on approval")
    is_upgrade = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True, help_text="name, category, join mode, texts of a new group")
    status = models.CharField(max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=400, blank=True)

    def __str__(self) -> str:
        return f"application {self.pk} ({self.status})"


class FilingRecord(models.Model):
    """A version of the tiered management system (G7a): tiers, categories and caps as filed with the CAC."""

    version = models.PositiveIntegerField(unique=True)
    snapshot = models.JSONField()
    change_summary = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    filed = models.BooleanField(default=False)
    filed_at = models.DateTimeField(null=True, blank=True)
    filing_number = models.CharField(max_length=80, blank=True, help_text="the authority's acknowledgement number")
    authority = models.CharField(max_length=80, blank=True, default="省级网信办")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"filing v{self.version} ({'filed' if self.filed else 'NOT FILED'})"
