"""Default tiers and categories (REGULATION.md §5 items 1-4 and 9). Operators change them in the admin; each change
makes a new filing version."""

from django.db import migrations

TIERS = [
    # slug, zh, en, rank, cap, owner level, min grade, review, join modes, screening
    ("small", "小型群", "Small", 1, 200, 1, "C", False, ["open", "approval", "question", "invite"], "standard"),
    ("medium", "中型群", "Medium", 2, 500, 2, "B", False, ["open", "approval", "question", "invite"], "enhanced"),
    ("large", "大型群", "Large", 3, 2000, 2, "B", True, ["approval", "question", "invite"], "strict"),
]

CATEGORIES = [
    # slug, zh, en, reviewed from tier rank (0 = as the tier says)
    ("family", "亲友", "Family and friends", 0),
    ("work-study", "工作学习", "Work and study", 0),
    ("interest", "兴趣爱好", "Interests", 0),
    ("public-affairs", "公共事务与新闻", "Public affairs and news", 2),
    ("trade", "交易与商业", "Trade and commerce", 2),
    ("other", "其他", "Other", 0),
]


def forwards(apps, schema_editor):
    TierPolicy = apps.get_model("groups", "TierPolicy")
    GroupCategory = apps.get_model("groups", "GroupCategory")
    Group = apps.get_model("groups", "Group")
    for slug, zh, en, rank, cap, level, grade, review, modes, screening in TIERS:
        TierPolicy.objects.update_or_create(slug=slug, defaults=dict(
            name_zh=zh, name_en=en, rank=rank, max_members=cap, owner_verification_level=level, owner_min_grade=grade,
            requires_review=review, join_modes=modes, screening_intensity=screening))
    for order, (slug, zh, en, review_rank) in enumerate(CATEGORIES):
        GroupCategory.objects.update_or_create(slug=slug, defaults=dict(
            name_zh=zh, name_en=en, min_review_rank=review_rank, order=order))
    # Groups from before tiers: the smallest tier that holds them.
    for tier in TierPolicy.objects.order_by("-rank"):
        Group.objects.filter(tier__isnull=True, member_count__lte=tier.max_members).update(
            tier=tier, member_cap=tier.max_members)


class Migration(migrations.Migration):
    dependencies = [("groups", "0002_tiers")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
