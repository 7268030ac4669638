"""The screening permissions on the moderator and senior moderator roles (data migration)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from moderation.roles_screening import screening_roles_ensure

    screening_roles_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0003_moderator_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
