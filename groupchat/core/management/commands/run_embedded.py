"""``manage.py run_embedded``: the whole platform in one process, with no external services.

Serves HTTP and WebSockets (daphne's runserver, in-memory channel layer, SQLite in WAL mode) and runs the Celery beat
schedule in a thread of the same process; tasks run eagerly, in-process. This is the README's first command.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve groupchat in embedded mode (ASGI dev server + in-process Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-beat", action="store_true", help="do not run the periodic jobs")

    def handle(self, *args, addr: str, port: str, no_beat: bool, **options):
        if settings.SERVICES_MODE:
            raise CommandError("run_embedded is for embedded mode; unset DATABASE_URL or use the services setup.")
        if not no_beat:
            self._start_beat()
        self.stdout.write(self.style.SUCCESS(f"groupchat (embedded) at http://{addr}:{port}/  (Ctrl+C to stop)"))
        call_command("runserver", f"{addr}:{port}", use_reloader=False)

    def _start_beat(self) -> None:
        from celery.beat import EmbeddedService

        from groupchat.celery import app

        # Without this the beat thread finds no registered tasks and sends them to a broker that does not exist.
        app.loader.import_default_modules()
        app.conf.beat_schedule_filename = str(settings.VAR_DIR / "celerybeat-schedule")
        app.conf.beat_scheduler = "celery.beat:PersistentScheduler"
        beat = EmbeddedService(app, thread=True)
        beat.start()
        self.stdout.write(f"periodic jobs: {', '.join(sorted(app.conf.beat_schedule))}")
