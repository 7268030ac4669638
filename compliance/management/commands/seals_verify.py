"""``manage.py seals_verify``: verify the network log's seal chain and name the first bad record."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from compliance.services.seals import seal_settled, seal_verification_run


class Command(BaseCommand):
    help = "Verify the network log's seal chain (links, signatures) and every sealed record still held."

    def add_arguments(self, parser):
        parser.add_argument("--seal-first", action="store_true", help="seal settled slices before verifying")

    def handle(self, *args, seal_first: bool = False, **options):
        if seal_first:
            self.stdout.write(f"sealed {seal_settled()} new slices")
        result = seal_verification_run()
        self.stdout.write(f"seals: {result.seals}  records checked: {result.records}  "
                          f"purged slices (chain only): {result.purged_seals}  unsealed records: {result.unsealed_records}")
        if not result.ok:
            self.stdout.write(f"FIRST BAD: {result.first_problem}")
            raise CommandError("the network log's seals do not verify")
        self.stdout.write("OK: the chain and every sealed record verify")
