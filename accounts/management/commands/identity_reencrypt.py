from django.core.management.base import BaseCommand

from accounts.services import identity_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt identity-vault fields with the newest key of GROUPCHAT_FIELD_KEYS (run after prepending a key)."

    def handle(self, *args, **options):
        changed = identity_reencrypt()
        self.stdout.write(f"re-encrypted {changed} identity submission(s) with the newest key")
