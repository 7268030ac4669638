"""Public group codes (G8b): 10 digits with a Luhn check digit, random, immutable, never reused."""

import itertools

import pytest
from stdnum import luhn

from groupchat.core.errors import ApplicationError
from groups import codes, selectors, services
from groups.models import Group, GroupCode
from tests.factories import make_group

pytestmark = [pytest.mark.django_db, pytest.mark.clause("G8b")]


def _mistype(code: str) -> str:
    """The same code with a wrong check digit (what a user who mistypes the last digit sends)."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_code_is_ten_digits_with_a_valid_luhn_check_digit(owner):
    group = make_group(owner)
    assert len(group.code) == 10 and group.code.isdigit() and group.code[0] != "0"
    assert luhn.is_valid(group.code)
    assert group.code[-1] == luhn.calc_check_digit(group.code[:-1])
    assert codes.is_well_formed(group.code)
    assert group.code != str(group.pk).zfill(10)
    assert GroupCode.objects.filter(code=group.code).exists()


def test_codes_are_random_not_sequential(user_factory):
    # One owner each: a user's credit grade caps the groups they may create a day (G8a).
    issued = [make_group(user_factory(), name=f"g{i}").code for i in range(12)]
    assert len(set(issued)) == len(issued)
    numbers = [int(c[:-1]) for c in issued]
    gaps = {b - a for a, b in itertools.pairwise(numbers)}
    # Sequential (or otherwise guessable) issue would show one small constant step between consecutive groups.
    assert len(gaps) > 1 and not all(abs(g) < 1000 for g in gaps)


def test_code_is_immutable(owner, origin, api):
    group = make_group(owner)
    code = group.code
    with pytest.raises(TypeError):
        services.group_update(actor=owner, group=group, origin=origin, code="1234567897")  # not a parameter
    services.group_update(actor=owner, group=group, origin=origin, name="改名了")
    response = api(owner).patch(f"/api/v1/groups/{code}/", {"name": "又改名", "code": "1234567897"}, format="json")
    assert response.status_code == 200 and response.json()["code"] == code
    group.refresh_from_db()
    assert group.code == code and group.name == "又改名"


def test_codes_stay_reserved_after_a_group_is_closed(owner, origin, monkeypatch):
    closed = make_group(owner)
    services.group_close(actor=owner, group=closed, reason="done", origin=origin)
    fresh_body = "987654321"
    fresh = fresh_body + luhn.calc_check_digit(fresh_body)
    draws = iter([closed.code, fresh])
    monkeypatch.setattr(codes, "_candidate", lambda: next(draws))

    again = make_group(owner, name="新群")

    assert again.code == fresh  # the closed group's code was drawn first, and refused
    assert GroupCode.objects.filter(code=closed.code).exists()
    assert Group.objects.filter(code=closed.code, status="closed").exists()


def test_codes_stay_reserved_even_if_the_group_row_is_gone(owner, monkeypatch):
    group = make_group(owner)
    code = group.code
    Group.objects.filter(pk=group.pk).delete()  # not something the app does; the registry must still hold
    monkeypatch.setattr(codes, "_candidate", lambda: code)
    with pytest.raises(RuntimeError):
        codes.group_code_issue(attempts=3)


def test_a_mistyped_code_is_group_not_found(owner, alice, origin, api):
    group = make_group(owner)
    wrong = _mistype(group.code)
    assert not codes.is_well_formed(wrong)
    with pytest.raises(ApplicationError) as err:
        selectors.group_get(code=wrong)
    assert err.value.code == "group_not_found"
    response = api(alice).get(f"/api/v1/groups/{wrong}/")
    assert response.status_code == 404 and response.json()["code"] == "group_not_found"
    with pytest.raises(ApplicationError) as err:
        services.message_send(sender=owner, group_code=wrong, body="hi", client_id="x", origin=origin)
    assert err.value.code == "group_not_found"


def test_a_well_formed_unknown_code_is_group_not_found(db):
    body = "123456789"
    with pytest.raises(ApplicationError) as err:
        selectors.group_get(code=body + luhn.calc_check_digit(body))
    assert err.value.code == "group_not_found"
