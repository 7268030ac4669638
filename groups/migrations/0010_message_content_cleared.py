# Removed messages' text goes after the log's retention (groups.services.messages_content_clear): the mark of a
# cleared row, and a partial index over the few removed rows not yet cleared, so the daily run reads only those.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('groups', '0009_filing_moved'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='content_cleared_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='content cleared at'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('content_cleared_at__isnull', True), ('removed_at__isnull', False)), fields=['removed_at', 'id'], name='message_removed_uncleared'),
        ),
    ]
