"""Filing records (G7a) move here from groups, keeping every row; and the filing packages built from them.

The model enters compliance's state over groups' existing table (no database operation), then the table is renamed to
``compliance_filingrecord`` (a catalogue-only rename in PostgreSQL: no rewrite, no copy), so its name says whose it is
like every other table. The content type moves too, so the permissions already granted on it (the compliance
officer's view/change) and any admin history keep pointing at the same rows."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label=target, model='filingrecord').exists():
        ContentType.objects.filter(app_label=source, model='filingrecord').update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, 'groups', 'compliance')


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, 'compliance', 'groups')


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0005_log_partitions'),
        ('groups', '0009_filing_moved'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FilingRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(unique=True, verbose_name='版本 / version')),
                        ('snapshot', models.JSONField(verbose_name='快照 / snapshot')),
                        ('change_summary', models.CharField(blank=True, max_length=400, verbose_name='变更摘要 / change summary')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间 / created at')),
                        ('filed', models.BooleanField(default=False, verbose_name='已备案 / filed')),
                        ('filed_at', models.DateTimeField(blank=True, null=True, verbose_name='备案时间 / filed at')),
                        ('filing_number', models.CharField(blank=True, help_text="备案机关出具的编号 / the authority's acknowledgement number", max_length=80, verbose_name='备案编号 / filing number')),
                        ('authority', models.CharField(blank=True, default='省级网信办', max_length=80, verbose_name='备案机关 / authority')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='创建人 / created by')),
                    ],
                    options={
                        'verbose_name': '分级分类管理备案 / filing record',
                        'verbose_name_plural': '分级分类管理备案 / filing records',
                        'ordering': ['-version'],
                        'db_table': 'groups_filingrecord',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='filingrecord', table=None),
        migrations.RunPython(forwards, backwards),
        migrations.CreateModel(
            name='FilingPackage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('building', '生成中 / building'), ('ready', '已生成 / ready'), ('failed', '失败 / failed')], default='building', max_length=10, verbose_name='状态 / status')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='发起时间 / requested at')),
                ('built_at', models.DateTimeField(blank=True, null=True, verbose_name='生成时间 / built at')),
                ('progress_done', models.PositiveIntegerField(default=0, verbose_name='已完成 / done')),
                ('progress_total', models.PositiveIntegerField(default=0, verbose_name='总数 / total')),
                ('package_path', models.CharField(blank=True, max_length=500, verbose_name='数据包路径 / package path')),
                ('package_sha256', models.CharField(blank=True, max_length=64, verbose_name='数据包 SHA-256 / package SHA-256')),
                ('package_size', models.BigIntegerField(default=0, verbose_name='数据包字节 / package bytes')),
                ('error', models.TextField(blank=True, verbose_name='错误 / error')),
                ('filing', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='packages', to='compliance.filingrecord', verbose_name='备案版本 / filing version')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发起人 / requested by')),
            ],
            options={
                'verbose_name': '备案材料 / filing package',
                'verbose_name_plural': '备案材料 / filing packages',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
    ]
