"""Every refusal code the groups app raises is registered with a Chinese and an English text, whatever is imported
first (a code raised before its registration is a KeyError instead of a clear refusal)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAISED = re.compile(r"""ApplicationError\(\s*["']([a-z_]+)["']""")

PROBE = """
import json, django
django.setup()
import groups.services  # only the services, as a worker task or a management command would
from groupchat.core.errors import error_catalogue
print(json.dumps({code: [entry[1], entry[2]] for code, entry in error_catalogue().items()}))
"""


def test_every_code_raised_by_groups_is_registered_in_both_languages():
    raised = set()
    for path in (ROOT / "groups").rglob("*.py"):
        if "migrations" not in path.parts:
            raised |= set(RAISED.findall(path.read_text(encoding="utf-8")))
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "groupchat.settings"})
    assert result.returncode == 0, result.stderr[-3000:]
    catalogue = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(raised - set(catalogue)) == []
    for code in raised:
        en, zh = catalogue[code]
        assert en and zh and en != zh, code
