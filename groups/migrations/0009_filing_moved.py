"""Filing records (G7a) belong to compliance now: groups forgets the model, the table stays untouched here.

compliance 0006_filing_records takes the same table into its own state and renames it; no row is copied or lost."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('groups', '0008_chat_group_names'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='FilingRecord')],
            database_operations=[],
        ),
    ]
