"""Minors (PIPL Art 31, REGULATION §5.13; issue 14 item 10): birth dates from L2 ID numbers, guardian consents."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_verbose_names")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="birth_date",
            field=models.DateField(blank=True, null=True, verbose_name="birth date"),
        ),
        migrations.AddField(
            model_name="identitysubmission",
            name="birth_date",
            field=models.DateField(blank=True, null=True, verbose_name="birth date"),
        ),
        migrations.CreateModel(
            name="GuardianConsent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("relationship", models.CharField(choices=[("parent", "parent"), ("guardian", "other legal guardian")],
                                                  max_length=10, verbose_name="relationship")),
                ("guardian_name_enc", models.TextField(verbose_name="guardian name (encrypted)")),
                ("guardian_name_masked", models.CharField(max_length=60, verbose_name="guardian name (masked)")),
                ("evidence", models.TextField(help_text="how the consent was obtained, e.g. the signed form's number",
                                              verbose_name="evidence")),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="recorded at")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("recorded_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                  to=settings.AUTH_USER_MODEL, verbose_name="recorded by")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                           related_name="guardian_consents", to=settings.AUTH_USER_MODEL,
                                           verbose_name="user")),
            ],
            options={"verbose_name": "guardian consent", "verbose_name_plural": "guardian consents",
                     "ordering": ["-recorded_at"]},
        ),
    ]
