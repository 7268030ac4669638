"""Owner qualification by size (REGULATION §5.2 and §5.4; issue 14 item 6).

small: cap 100 with an L1 owner (owners of groups over 100 members need L2); medium: 500, L2 and credit >= B;
large: 2000, an L3 (organisation) owner, or an L2 owner with platform review. Groups of the small tier get its new cap;
a group already over it keeps its members, takes no new ones, and the next sweep moves it up or, when its owner does
not qualify for the bigger tier, sends it to platform review.
"""

from django.db import migrations, models

SMALL_CAP = 100


def forwards(apps, schema_editor):
    TierPolicy = apps.get_model("groups", "TierPolicy")
    Group = apps.get_model("groups", "Group")
    TierPolicy.objects.filter(slug="small", max_members__gt=SMALL_CAP).update(max_members=SMALL_CAP)
    TierPolicy.objects.filter(slug="large").update(requires_review=True, review_exempt_level=3)
    for tier in TierPolicy.objects.all():
        Group.objects.filter(tier=tier).exclude(member_cap=tier.max_members).update(member_cap=tier.max_members)


class Migration(migrations.Migration):
    dependencies = [("groups", "0006_verbose_names")]
    operations = [
        migrations.AddField(
            model_name="tierpolicy",
            name="review_exempt_level",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="owners verified at this level or higher skip the review (0 = nobody skips it)",
                verbose_name="review exempt from level"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
