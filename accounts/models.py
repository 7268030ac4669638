"""Accounts: the front-stage profile (free nickname), the back-stage identity vault, agreements and credit.

Nothing here is shown to other users except ``nickname`` (and the role badges groups add). The real identity lives in
``IdentitySubmission`` (legal name and ID number encrypted, a keyed blind index for uniqueness) and never in the user
table; screens show masked values, and every full reveal is an ``IdentityReveal`` row.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groupchat.core.language import pick


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=self.model.normalize_username(username), **extra)
        user.nickname = user.nickname or username
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class VerificationLevel(models.IntegerChoices):
    NONE = 0, _("unverified")
    PHONE = 1, _("L1 phone")
    PERSONAL = 2, _("L2 personal identity")
    ORGANISATION = 3, _("L3 organisation")


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(_("username"), max_length=40, unique=True, validators=[UnicodeUsernameValidator()])
    phone = models.CharField(_("phone"), max_length=20, unique=True, null=True, blank=True)
    nickname = models.CharField(_("nickname"), max_length=40)
    language = models.CharField(_("language"), max_length=10, default="zh-hans", choices=[("zh-hans", "简体中文"), ("en", "English")])
    verification_level = models.PositiveSmallIntegerField(_("verification level"),
        choices=VerificationLevel.choices, default=VerificationLevel.NONE
    )
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    # Denormalised from the credit ledger (CreditEvent.score_after of the latest event) so the send path reads it
    # with the verification level in one primary-key lookup.
    credit_score = models.PositiveSmallIntegerField(_("credit score"), default=80)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # From the ID number of the approved L2 submission (empty for other methods): minors' rules need the age only.
    birth_date = models.DateField(_("birth date"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:  # Django admin; never the legal name
        return self.nickname

    def get_short_name(self) -> str:
        return self.nickname


class AppendOnlyModel(models.Model):
    """Ledger-style rows: written once, never changed or deleted by the application."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


# --- L1: phone --------------------------------------------------------------------------------------------------------
class PhoneCode(models.Model):
    """A one-time code sent to a phone number; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_codes", verbose_name=_("user"))
    phone = models.CharField(_("phone"), max_length=20)
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("phone codes")
        verbose_name = _("phone code")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"code for user {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


# --- L2/L3: the identity vault ----------------------------------------------------------------------------------------
class IdentityConsent(models.Model):
    """Separate consent (PIPL Art 29) to processing the ID number, with the purpose exactly as shown (Art 30)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_consents", verbose_name=_("user"))
    purpose_version = models.CharField(_("purpose version"), max_length=20)
    purpose_text = models.TextField(_("purpose text"))
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity consent")
        verbose_name_plural = _("identity consents")

    def __str__(self) -> str:
        return f"consent {self.purpose_version} by user {self.user_id}"


class SubmissionKind(models.TextChoices):
    PERSONAL = "personal", _("L2 name + ID number")
    NETWORK_ID = "network_id", _("L2 national network ID")
    ORGANISATION = "organisation", _("L3 organisation")


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    SUPERSEDED = "superseded", _("superseded by a newer verification")


class IdentitySubmission(models.Model):
    """One verification attempt. Legal name and ID number only as ciphertext; masked copies for screens."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="identity_submissions", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=SubmissionKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=VerificationLevel.choices)
    status = models.CharField(_("status"), max_length=12, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING,
                              db_index=True)
    legal_name_enc = models.TextField(_("legal name (encrypted)"), blank=True)
    legal_name_masked = models.CharField(_("legal name (masked)"), max_length=60, blank=True)
    id_number_enc = models.TextField(_("ID number (encrypted)"), blank=True)
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=20, blank=True)
    id_hmac = models.CharField(_("ID blind index"), max_length=64, blank=True, db_index=True)  # blind index of the normalised number
    birth_date = models.DateField(_("birth date"), null=True, blank=True)  # from the number: guardian consent under 14
    org_name = models.CharField(_("organisation name"), max_length=100, blank=True)  # public registry data, not personal information
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    network_id_token = models.CharField(_("network ID token"), max_length=200, blank=True)
    network_id_result = models.JSONField(_("network ID result"), default=dict, blank=True)
    consent = models.ForeignKey(IdentityConsent, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("consent"))
    provider = models.CharField(_("provider"), max_length=120, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=120, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by"))
    reject_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name_plural = _("identity submissions")
        verbose_name = _("identity submission")
        ordering = ["-submitted_at"]
        permissions = [
            ("review_identity", "Can approve or reject identity submissions"),
            ("reveal_identity", "Can reveal full identity data (each reveal is recorded)"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.user} {self.kind} {self.status}"


class IdentityReveal(AppendOnlyModel):
    """Every attempt to see unmasked identity data: who, whose, when, why, and whether it was allowed."""

    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor"))
    subject = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject"))
    submission = models.ForeignKey(IdentitySubmission, on_delete=models.PROTECT, related_name="reveals", verbose_name=_("submission"))
    reason = models.TextField(_("reason"), blank=True)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("identity reveal records")
        verbose_name = _("identity reveal record")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} user {self.actor_id} -> user {self.subject_id} ({'granted' if self.granted else 'refused'})"


# --- G5b: agreements -------------------------------------------------------------------------------------------------
class AgreementKind(models.TextChoices):
    SERVICE = "service", _("service agreement")
    CONVENTION = "convention", _("platform convention")
    RULES = "rules", _("management rules")
    PRIVACY = "privacy", _("privacy policy")  # 个人信息保护政策 (PIPL Art 17)


class Agreement(models.Model):
    """One version of a published policy document. A material version must be accepted before posting again."""

    kind = models.CharField(_("kind"), max_length=12, choices=AgreementKind.choices)
    version = models.CharField(_("version"), max_length=20)
    title_zh = models.CharField(_("title (Chinese)"), max_length=100)
    title_en = models.CharField(_("title (English)"), max_length=100)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"))
    material = models.BooleanField(_("material change"), default=True, help_text=_("users must accept this version before posting again"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, help_text=_("empty = draft, not yet public"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name_plural = _("agreements")
        verbose_name = _("agreement")
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="agreement_kind_version")]
        ordering = ["kind", "-published_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    def title(self, language: str) -> str:
        return pick(language or "", zh=self.title_zh, en=self.title_en)

    def body(self, language: str) -> str:
        return pick(language or "", zh=self.body_zh, en=self.body_en)


class AgreementAcceptance(AppendOnlyModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agreement_acceptances", verbose_name=_("user"))
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("agreement"))
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("agreement acceptances")
        verbose_name = _("agreement acceptance")
        constraints = [models.UniqueConstraint(fields=["user", "agreement"], name="acceptance_once")]

    def __str__(self) -> str:
        return f"user {self.user_id} accepted {self.agreement_id}"


# --- G7b/G11b: credit ------------------------------------------------------------------------------------------------
class CreditSource(models.TextChoices):
    MEASURE = "measure", _("moderation measure")
    COMPLAINT = "complaint", _("upheld complaint")
    APPEAL = "appeal", _("appeal outcome")
    RECOVERY = "recovery", _("recovery over time")
    MANUAL = "manual", _("manual adjustment")


class CreditEvent(AppendOnlyModel):
    """The append-only credit ledger; ``User.credit_score`` is always the latest ``score_after``."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="credit_events", verbose_name=_("user"))
    delta = models.SmallIntegerField(_("change"))
    score_before = models.PositiveSmallIntegerField(_("score before"))
    score_after = models.PositiveSmallIntegerField(_("score after"))
    grade_before = models.CharField(_("grade before"), max_length=1)
    grade_after = models.CharField(_("grade after"), max_length=1)
    reason_code = models.CharField(_("reason code"), max_length=40)
    source = models.CharField(_("source"), max_length=12, choices=CreditSource.choices)
    operator = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator"))
    reason = models.TextField(_("reason"), blank=True)
    ref = models.CharField(_("reference"), max_length=60, blank=True, help_text=_("e.g. the measure or complaint id"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = _("credit events")
        verbose_name = _("credit event")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason_code} (user {self.user_id})"


class GradePermission(models.Model):
    """What each credit grade allows (editable in the admin; settings give the fallback)."""

    grade = models.CharField(_("grade"), max_length=1, unique=True)
    groups_owned_max = models.PositiveIntegerField(_("groups owned (max)"))
    groups_created_per_day = models.PositiveIntegerField(_("groups created per day"))
    groups_joined_max = models.PositiveIntegerField(_("groups joined (max)"))
    admin_eligible = models.BooleanField(_("may be admin"))
    max_owned_tier = models.CharField(_("largest tier owned"), max_length=20, blank=True, help_text=_("small / medium / large; empty = none"))
    message_rate = models.CharField(_("message rate"), max_length=30, help_text=_("e.g. \"20/10second\""))

    class Meta:
        verbose_name_plural = _("grade permissions")
        verbose_name = _("grade permission")
        ordering = ["grade"]

    def __str__(self) -> str:
        return f"grade {self.grade}"


# --- minors (PIPL Art 31, REGULATION §5.13) --------------------------------------------------------------------------
class GuardianRelationship(models.TextChoices):
    PARENT = "parent", _("parent")
    GUARDIAN = "guardian", _("other legal guardian")


class GuardianConsent(AppendOnlyModel):
    """A guardian's consent to a child under 14 being verified at L2 (PIPL Art 31), recorded by an identity reviewer
    with how it was obtained. The guardian's name only as ciphertext and a masked copy."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="guardian_consents", verbose_name=_("user"))
    relationship = models.CharField(_("relationship"), max_length=10, choices=GuardianRelationship.choices)
    guardian_name_enc = models.TextField(_("guardian name (encrypted)"))
    guardian_name_masked = models.CharField(_("guardian name (masked)"), max_length=60)
    evidence = models.TextField(_("evidence"), help_text=_("how the consent was obtained, e.g. the signed form's number"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("guardian consent")
        verbose_name_plural = _("guardian consents")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"guardian consent for user {self.user_id}"
