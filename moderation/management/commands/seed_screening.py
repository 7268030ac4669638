"""Load the demo's screening rules (one harmless keyword per category); ``--traffic`` also sends a few demo
messages through the real send path so the held, flagged and blocked queues have something in them."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from moderation.screening.sample import screening_demo_traffic, screening_sample_seed


class Command(BaseCommand):
    help = "Load the demo screening rules (idempotent); --traffic fills the review queues with demo messages."

    def add_arguments(self, parser):
        parser.add_argument("--traffic", action="store_true", help="send demo messages that the rules catch")

    def handle(self, *args, **options):
        created = screening_sample_seed()
        self.stdout.write(f"Screening rules: {created} sample rules added.")
        if options["traffic"]:
            sent = screening_demo_traffic()
            self.stdout.write(f"Screening demo traffic: {sent} messages sent.")
