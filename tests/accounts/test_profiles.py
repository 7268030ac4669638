"""Front stage free, back stage real (G6a): profiles show the chosen nickname and nothing of the real identity."""

import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.clause("G6a")
def test_public_profile_shows_the_nickname_and_no_real_identity(client):
    user = UserFactory(nickname="山间清风", phone="13812345678")
    viewer = UserFactory()
    client.force_login(viewer)
    page = client.get(f"/u/{user.pk}/").content.decode()
    assert "山间清风" in page and f"target=user:{user.pk}" in page  # the report entry
    assert "13812345678" not in page and "138****5678" not in page and user.username not in page


@pytest.mark.clause("G6a")
def test_nickname_is_free_to_change_and_shows_everywhere(client):
    user = UserFactory(nickname="旧昵称")
    client.force_login(user)
    response = client.post("/me/", {"nickname": "新昵称", "language": "en"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.nickname == "新昵称" and user.language == "en"
    refused = client.post("/me/", {"nickname": " ", "language": "en"})
    assert refused.status_code == 400 and "1 to 40 characters" in refused.content.decode()
    assert User.objects.get(pk=user.pk).nickname == "新昵称"
