"""``manage.py package_verify FILE [FILE ...]``: check a compliance package's manifest digests and signature."""

from __future__ import annotations

import base64

from django.core.management.base import BaseCommand, CommandError

from compliance.packages import verify_package


class Command(BaseCommand):
    help = "Verify compliance packages: every file's SHA-256 against the manifest and the manifest's Ed25519 signature."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--public-key", default="",
                            help="base64 Ed25519 public key to verify with (default: the platform's own key)")

    def handle(self, *args, files: list[str], public_key: str = "", **options):
        key = base64.b64decode(public_key) if public_key else None
        failed = 0
        for path in files:
            result = verify_package(path, public_key=key)
            if result.ok:
                self.stdout.write(f"OK   {path}: {result.files_checked} files, signature valid "
                                  f"(key {result.manifest['signature']['key_id']})")
            else:
                failed += 1
                self.stdout.write(f"FAIL {path}")
                for problem in result.problems:
                    self.stdout.write(f"     - {problem}")
        if failed:
            raise CommandError(f"{failed} of {len(files)} packages failed verification")
