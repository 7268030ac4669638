"""The moderator and senior moderator roles with the measures' permissions (data migration)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from moderation.roles_measures import moderation_roles_ensure

    moderation_roles_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_measures"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
