import pytest
from django.utils import translation

from groupchat.core.errors import ApplicationError, error_catalogue, register_error_codes


def test_every_code_has_a_status_and_both_languages():
    for code, (status, en, zh) in error_catalogue().items():
        assert code == code.lower() and " " not in code
        assert 400 <= status < 600
        assert en and zh and en != zh


def test_detail_follows_the_active_language():
    err = ApplicationError("rate_limited")
    with translation.override("en"):
        assert err.detail().startswith("You are sending too fast")
    with translation.override("zh-hans"):
        assert err.detail() == "发送过于频繁，请稍后再试。"


def test_unknown_codes_and_conflicting_registrations_are_refused():
    with pytest.raises(KeyError):
        ApplicationError("no_such_code")
    with pytest.raises(ValueError):
        register_error_codes({"rate_limited": (429, "other", "其他")})


@pytest.mark.django_db
def test_api_errors_are_json_with_code_and_detail(client):
    response = client.get("/api/v1/groups/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"
