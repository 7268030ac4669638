"""Compliance benchmarks: verify the seals of N network-log records; export M messages within a memory bound.

    python -m bench.compliance [--records 1000000] [--messages 1000000] [--db groupchat_bench_compliance]

Makes a fresh PostgreSQL database (``BENCH_PG_URL``'s server), migrates it, fills the log with ``--records`` rows
spread over six hours (about 2,800 a minute, as a busy platform writes them) and the messages table with
``--messages`` rows, then measures:

1. sealing the records (the beat's ``compliance.tasks.log_seal`` catching up on all of them at once);
2. verifying every seal and record (``manage.py seals_verify``'s work);
3. the retention purge of all of them (id-ordered chunks, the trigger's door opened per chunk);
4. exporting every message of one user in one group as a signed inspection package, in a child process whose
   resident memory is sampled while the export runs (its peak, next to what the process held when it began).

Prints one JSON object with the figures and the machine. Not part of the test suite: timings are measured here only.

    python -m bench.compliance --purge-drop [--purge-rows 10000000] [--ingest-seconds 40]

The month drop under load (issue 17): in scenario 1's database (bench/data.py, named ``BENCH_DB_PREFIX``: default
``gc_h1_bench`` here), fills one month partition eight months back with ``--purge-rows`` log rows (INSERT ... SELECT
generate_series into a plain table, then ATTACHed, which builds its indexes), gives it *synthetic* seals (one seal
holding the month's count and id range, one empty stretch from its end on; the chain is well-formed and signed, the
rows are not hashed: the sealer's cost is the first part's), CHECKPOINTs it (unless ``--dirty``), makes the months the daily sweep keeps ready, then
starts scenario 1 (``bench.run --ref worktree ingest``, a subprocess on that database) and, once its messages are
being logged, runs the retention sweep, which drops the month. Reports the sweep's wall time and the ingest's ack
latencies within the sweep's window (each ack's time from the driver, ``BENCH_ACK_SERIES``) and over the whole run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _db_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _setup(db: str) -> None:
    os.environ.update({"DATABASE_URL": _db_url(db), "GROUPCHAT_ENV": "dev", "CELERY_TASK_ALWAYS_EAGER": "1",
                       "DJANGO_SETTINGS_MODULE": "groupchat.settings", "LOG_LEVEL": "WARNING"})
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fresh_database(db: str) -> None:
    import psycopg2

    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{db}"')
    admin.close()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fill_log(records: int) -> tuple:
    from django.db import connection

    from groupchat.core.models import LogEntry

    table = LogEntry._meta.db_table
    # Six hours ending an hour ago: every slice is settled. Rows look like the send path's message.sent records.
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {table} (created_at, kind, actor_id, group_code, target_id, ip, port, user_agent, data)
            SELECT now() - interval '7 hours' + (g * (interval '6 hours' / %s)), 'message.sent', 1000 + g %% 5000,
                   lpad((1000000000 + g %% 300)::text, 10, '0'), NULL, '203.0.113.7'::inet, 40000 + g %% 20000,
                   'Mozilla/5.0 (bench)', jsonb_build_object('message', g, 'seq', g, 'client_id', md5(g::text))
            FROM generate_series(1, %s) AS g""", [records, records])
        cursor.execute("SELECT min(created_at), max(created_at) FROM " + table)
        return cursor.fetchone()


def _fill_messages(messages: int) -> tuple[int, str]:
    from django.db import connection

    from accounts.models import User
    from groups.models import Group, Message

    owner = User.objects.create_user(username="bench-owner", password="bench-pass-2026", nickname="群主")
    group = Group.objects.create(code="1000000018", name="基准群", owner=owner)  # one group: the export's scope
    columns, values, params = [], [], []
    generated = {"group_id": "%s", "seq": "g", "sender_id": "%s", "client_id": "md5(g::text)",
                 "body": "'基准消息 ' || g || '：' || repeat('群聊内容', 8)",
                 "created_at": "now() - interval '2 days' + g * interval '100 milliseconds'"}
    for f in Message._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.attname in generated:
            values.append(generated[f.attname])
            if generated[f.attname] == "%s":
                params.append(group.pk if f.attname == "group_id" else owner.pk)
        elif f.null:
            values.append("NULL")
        else:
            values.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Message._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} "
                       f"FROM generate_series(1, %s) AS g", [*params, messages])
    return owner.pk, group.code


def _export_child(request_id: int) -> None:
    """Runs in a fresh process. Start-up (Django, every app's ready()) may peak higher than the export ever does, so
    the export's own peak is sampled while it runs (resident set every 20 ms), next to the RSS it started from."""
    import threading

    import psutil

    from compliance.services.inspection import inspection_export_run

    process = psutil.Process()
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    request = inspection_export_run(request_id=request_id)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    print(json.dumps({"rss_at_start_mb": round(before / 2**20, 1), "export_peak_rss_mb": round(peak[0] / 2**20, 1),
                      "startup_peak_rss_mb": round(_rss_mb(), 1), "seconds": round(seconds, 1),
                      "package_mb": round(request.package_size / 2**20, 1), "status": request.status}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--db", default="groupchat_bench_compliance")
    parser.add_argument("--records-only", action="store_true", help="skip the export part")
    parser.add_argument("--export-only", action="store_true", help="skip the log parts")
    parser.add_argument("--export-child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--purge-drop", action="store_true", help="only the month drop under scenario 1's ingest")
    parser.add_argument("--purge-rows", type=int, default=10_000_000)
    parser.add_argument("--ingest-seconds", type=float, default=40.0)
    parser.add_argument("--dirty", action="store_true",
                        help="drop the month without a CHECKPOINT after the fill (its pages still dirty in memory)")
    args = parser.parse_args()
    if args.purge_drop:
        print(json.dumps(_purge_drop(args), indent=1))
        return
    if args.export_child:
        _setup(args.db)
        _export_child(args.export_child)
        return

    _fresh_database(args.db)
    _setup(args.db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()}, "records": args.records,
                    "messages": args.messages}
    if not args.export_only:
        _log_part(args, result)
    if not args.records_only:
        _export_part(args, result)
    print(json.dumps(result, indent=1, ensure_ascii=False))


def _log_part(args, result: dict) -> None:
    from django.utils import timezone

    from compliance.models import Seal
    from compliance.services.retention import retention_sweep_run
    from compliance.services.seals import seal_settled, seals_verify

    started = time.perf_counter()
    _fill_log(args.records)
    result["fill_log_s"] = round(time.perf_counter() - started, 1)

    started, cpu = time.perf_counter(), time.process_time()
    seal_settled()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # The sealer's own CPU per record (the Python side; PostgreSQL's side of the reads is not counted) tells what
    # sealing a given ingest rate costs: at scenario 1's rate R it takes R * cpu_ms_per_1000 / 1000 ms per second.
    result["seal"] = {"seconds": round(seconds, 2), "records_per_s": round(args.records / seconds),
                      "cpu_ms_per_1000_records": round(1000 * cpu / (args.records / 1000), 2),
                      "seals": Seal.objects.count()}

    for workers in (1, 2):
        started, cpu = time.perf_counter(), time.process_time()
        report = seals_verify(workers=workers)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.ok and report.records == args.records, report
        result[f"verify_{workers}_thread"] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                                              "records_per_s": round(args.records / seconds), "seals": report.seals}
    result["load_average"] = os.getloadavg()  # the machine is shared: figures taken under load say so

    # The purge of every record at once, as a sweep a year later would (the floor is respected: "now" moves ahead).
    started = time.perf_counter()
    run = retention_sweep_run(now=timezone.now() + timezone.timedelta(days=400))
    seconds = time.perf_counter() - started
    result["purge"] = {"seconds": round(seconds, 2), "purged": run.purged,
                       "records_per_s": round(run.purged / seconds) if seconds else None}
    started = time.perf_counter()
    after = seals_verify()
    result["verify_after_purge"] = {"ok": after.ok, "seconds": round(time.perf_counter() - started, 2),
                                    "purged_seals": after.purged_seals}
    print(json.dumps(result), file=sys.stderr, flush=True)  # the log's figures, even if the export part fails


def _export_part(args, result: dict) -> None:
    from django.utils import timezone

    from compliance.models import InspectionRequest

    owner_id, code = _fill_messages(args.messages)
    request = InspectionRequest.objects.create(
        authority="bench", document_number="bench-1", reason="bench", user_ids=[owner_id], group_codes=[code],
        status="approved", entered_by_id=owner_id, decided_by_id=owner_id, decided_at=timezone.now())
    child = subprocess.run([sys.executable, "-m", "bench.compliance", "--db", args.db, "--export-child",
                            str(request.pk)], cwd=ROOT, capture_output=True, text=True)
    if child.returncode != 0:
        raise SystemExit(child.stderr)
    export = json.loads(child.stdout.strip().splitlines()[-1])
    result["export"] = export


def _synthetic_seals(month_start, month_end, rows: int, first_id: int | None, last_id: int | None) -> None:
    import base64

    from compliance import signing
    from compliance.canonical import log_columns
    from compliance.models import Seal
    from compliance.services.seals import GENESIS, _pack_ids, seal_hash

    Seal.objects.all().delete()
    prev = GENESIS
    far = month_end.replace(year=month_end.year + 5)  # past "now": the sweep's sealer has nothing left to seal
    for seq, (start, end, count, first, last) in enumerate([(month_start, month_end, rows, first_id, last_id),
                                                           (month_end, far, 0, None, None)], 1):
        seal = Seal(seq=seq, slice_start=start, slice_end=end, count=count, first_id=first, last_id=last,
                    columns=log_columns(), ids=_pack_ids([]), digests=b"", rows_hash="0" * 64, prev_hash=prev,
                    key_id=signing.key_id())
        seal.hash = seal_hash(seal)
        seal.signature = base64.b64encode(signing.sign(bytes.fromhex(seal.hash))).decode()
        seal.save(force_insert=True)
        prev = seal.hash


def _fill_month(month_start, month_end, rows: int) -> tuple[int, int]:
    """``rows`` message.sent rows spread over the month, into a plain table then ATTACHed (index builds in bulk)."""
    from django.db import connection

    from compliance.log_months import PARENT, partition_name

    name = partition_name(month_start)
    span = (month_end - month_start) / rows
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"""
            INSERT INTO {name} (id, created_at, kind, actor_id, group_code, target_id, ip, port, user_agent, data)
            SELECT nextval('{PARENT}_id_seq'), %s + g * %s::interval, 'message.sent', 1000 + g %% 5000,
                   lpad((1000000000 + g %% 300)::text, 10, '0'), NULL, '203.0.113.7'::inet, 40000 + g %% 20000,
                   'Mozilla/5.0 (bench)', jsonb_build_object('message_id', g, 'seq', g, 'type', 'text', 'chars', 12)
            FROM generate_series(0, %s - 1) AS g""", [month_start, span, rows])
        cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds CHECK (created_at >= %s AND created_at < %s)",
                       [month_start, month_end])
        cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
                       [month_start, month_end])
        cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds")
        cursor.execute(f"ANALYZE {name}")
        cursor.execute(f"SELECT min(id), max(id) FROM {name}")
        return cursor.fetchone()


def _timed(module, names: list[str]) -> dict[str, float]:
    """Wrap these functions of ``module`` so the seconds spent in each add up in the returned dict."""
    spent: dict[str, float] = {}

    def wrap(name: str, func):
        def timed(*a, **k):
            started = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
        return timed

    for name in names:
        setattr(module, name, wrap(name, getattr(module, name)))
    return spent


def _purge_drop(args) -> dict:
    os.environ.setdefault("BENCH_DB_PREFIX", "gc_h1_bench")
    from bench import data
    from bench.common import checkout, lock

    code = checkout("worktree")
    held = lock(600)
    db = data.ensure(code)
    held.close()  # the ingest subprocess takes it next
    _setup(db)
    from django.utils import timezone

    from compliance.log_months import month_add, month_floor
    from compliance.services import retention
    from compliance.services.partitions import log_partitions_ensure
    from compliance.services.retention import retention_cutoff, retention_sweep_run
    from groupchat.core.models import LogEntry

    now = timezone.now()
    month = month_add(month_floor(now), -8)
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "database": db,
                    "month": f"{month:%Y-%m}", "rows": args.purge_rows}
    started = time.perf_counter()
    first_id, last_id = _fill_month(month, month_add(month, 1), args.purge_rows)
    result["fill_s"] = round(time.perf_counter() - started, 1)
    _synthetic_seals(month, month_add(month, 1), args.purge_rows, first_id, last_id)
    if not args.dirty:
        # The month a real sweep drops was written six months before: long checkpointed, nothing of it dirty in
        # memory. A fill seconds old is not, and the drop's commit would pay for writing back what it then frees.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    result["checkpointed"] = not args.dirty
    log_partitions_ensure(now=now, since=retention_cutoff(now))  # what yesterday's sweep made ready

    series = ROOT / "bench" / "results" / "purge-drop-acks.json"
    series.unlink(missing_ok=True)
    output = open(series.with_suffix(".log"), "w+")  # read back once the ingest ends
    ingest = subprocess.Popen([sys.executable, "-m", "bench.run", "--ref", "worktree", "--wait", "600", "ingest",
                               "--duration", str(args.ingest_seconds), "--targets", "groupchat"],
                              cwd=ROOT, env={**os.environ, "BENCH_ACK_SERIES": str(series)},
                              stdout=output, stderr=subprocess.STDOUT, text=True)
    since = timezone.now()
    deadline = time.monotonic() + 600
    while not LogEntry.objects.filter(kind="message.sent", created_at__gte=since).exists():
        if ingest.poll() is not None or time.monotonic() > deadline:
            output.seek(0)
            raise SystemExit(f"scenario 1 did not start:\n{output.read()}")
        time.sleep(0.2)
    time.sleep(min(10.0, args.ingest_seconds / 3))  # into the steady state
    result["load_average"] = os.getloadavg()
    steps = _timed(retention, ["_drop_months", "_detach", "_drop", "_delete_rows"])
    wall0, started = time.time(), time.perf_counter()
    run = retention_sweep_run()
    seconds, wall1 = time.perf_counter() - started, time.time()
    result["sweep"] = {"seconds": round(seconds, 3), "purged": run.purged, "status": run.status,
                       "partitions_dropped": run.partitions_dropped,
                       "steps_s": {name: round(t, 3) for name, t in steps.items()}}
    ingest.wait(timeout=900)
    output.seek(0)
    out = output.read()
    result["ingest_headline"] = next((line for line in out.splitlines() if line.startswith("headline:")), out[-2000:])
    import orjson

    from bench.common import percentiles

    acks = orjson.loads(series.read_bytes())
    during = [lat for at, lat in acks if wall0 <= at <= wall1 + 0.1]  # acks that came while the sweep ran
    result["ack_ms_during_sweep"] = {"acks": len(during), **percentiles(during)}
    result["ack_ms_whole_run"] = {"acks": len(acks), **percentiles([lat for _, lat in acks])}
    return result


if __name__ == "__main__":
    main()
