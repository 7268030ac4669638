from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="logentry",
            name="server_ip",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="server IP address"),
        ),
        migrations.AddField(
            model_name="logentry",
            name="server_port",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="server port"),
        ),
    ]
