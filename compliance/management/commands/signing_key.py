"""``manage.py signing_key``: print the platform's Ed25519 public key and its id (to hand to an authority, who then
checks packages with ``package_verify --public-key``); ``--new`` prints a fresh private key for GROUPCHAT_SIGNING_KEY."""

from __future__ import annotations

import base64
import os

from django.core.management.base import BaseCommand

from compliance import signing


class Command(BaseCommand):
    help = "Print the platform signing key's public half (or, with --new, a new private key to put in the environment)."

    def add_arguments(self, parser):
        parser.add_argument("--new", action="store_true", help="print a new random private key and exit")

    def handle(self, *args, new: bool = False, **options):
        if new:
            self.stdout.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
            return
        self.stdout.write(f"public key (base64): {signing.public_key_b64()}")
        self.stdout.write(f"key id: {signing.key_id()}")
