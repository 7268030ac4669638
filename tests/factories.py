from __future__ import annotations

import factory

from accounts.models import User, VerificationLevel
from groupchat.core.origin import Origin

ORIGIN = Origin(ip="203.0.113.7", port=51234, user_agent="pytest")
PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    nickname = factory.Sequence(lambda n: f"昵称{n}")
    verification_level = VerificationLevel.PHONE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            # Users start with the current agreements accepted (G5b gating is tested in tests/accounts).
            from accounts.services import agreements_accept

            agreements_accept(user=obj)


def make_group(owner, **kwargs):
    from groups import services

    kwargs.setdefault("name", "测试群")
    kwargs.setdefault("join_mode", "open")
    return services.group_create(owner=owner, acknowledge_duties=True, origin=ORIGIN, **kwargs)


def add_member(group, user, role="member"):
    from groups import services
    from groups.models import Membership

    services.group_join(user=user, group=group, origin=ORIGIN) if group.join_mode == "open" else None
    membership = Membership.objects.filter(group=group, user=user).first()
    if membership is None:
        membership = Membership.objects.create(group=group, user=user, role=role)
        group.member_count += 1
        group.save(update_fields=["member_count"])
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    group.refresh_from_db()
    return membership
