"""``manage.py error_codes``: every refusal code with its HTTP status and both texts, as a Markdown table.

docs/protocol.md embeds this table; a test fails when a code is missing there.
"""

from __future__ import annotations

import importlib
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand

from groupchat.core.errors import error_catalogue


def load_all_codes() -> dict[str, tuple[int, str, str]]:
    """Import every installed app's ``errors`` module (each registers its codes), then return the catalogue."""
    for config in apps.get_app_configs():
        name = f"{config.name}.errors"
        if find_spec(config.name) is not None and find_spec(name) is not None:
            importlib.import_module(name)
    return error_catalogue()


class Command(BaseCommand):
    help = "Print every error code as a Markdown table (code, HTTP status, English, 简体中文)."

    def handle(self, *args, **options):
        self.stdout.write("| code | HTTP | English | 简体中文 |\n|---|---|---|---|")
        for code, (status, en, zh) in sorted(load_all_codes().items()):
            self.stdout.write(f"| `{code}` | {status} | {en} | {zh} |")
