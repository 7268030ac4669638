"""The HTTP API's OpenAPI schema is served and valid, with no generator warnings (DESIGN §5)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_schema_is_served(api, alice):
    response = api().get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/groups/{code}/messages/" in text and "GroupJoinInput" in text


def test_spectacular_validates_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
