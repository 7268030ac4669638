"""The network log's seal chain (G13b): tamper evidence that never slows the writers down.

Writers insert log rows as they always did. Once a one-minute slice is settled (its end is ``SEAL_SETTLE`` in the
past, so every transaction that stamped a time in it has committed), the sealer reads its rows in id order, hashes
each row's canonical form (canonical.py) and appends one ``Seal``: slice, count, first and last id, the SHA-256 over
the rows' digests, the previous seal's hash, all hashed together and signed with the platform key. Minutes without
rows are sealed as one empty stretch. Verification walks the chain from the start: a broken link or signature names
the seal; a row changed, inserted into, removed from or moved out of a sealed slice is named by its id. Seals outlive
the rows the retention purge removes, so the chain still verifies after a purge.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import zlib
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.db import connection, connections, transaction
from django.db.models import Max
from django.db.models.functions import TruncMinute
from django.utils import timezone

from accounts.models import User
from groupchat.core.models import LogEntry

from .. import signing
from ..canonical import DIGEST_BYTES, canonical, log_columns, row_digest, rows_of
from ..conf import SEAL_SETTLE, SEAL_SLICE, VERIFY_WORKERS
from ..locks import SEALER, advisory_lock
from ..models import HeldLogEntry, RetentionRun, Seal, SealVerification

GENESIS = "0" * 64
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def slice_floor(at: datetime) -> datetime:
    """The start of the slice ``at`` falls in (slices are aligned to whole minutes in UTC)."""
    at = at.astimezone(UTC)
    return _EPOCH + ((at - _EPOCH) // SEAL_SLICE) * SEAL_SLICE


def _pack_ids(ids: list[int]) -> bytes:
    deltas = array("q", [b - a for a, b in zip([0, *ids[:-1]], ids, strict=True)] if ids else [])
    return zlib.compress(deltas.tobytes(), 1)


def unpack_ids(blob: bytes) -> list[int]:
    deltas = array("q")
    deltas.frombytes(zlib.decompress(bytes(blob)))
    return list(accumulate(deltas))


def _header(seq: int, start: datetime, end: datetime, count: int, first_id: int | None, last_id: int | None,
            columns: list[str], rows_hash: str, ids: bytes, digests: bytes, prev_hash: str) -> bytes:
    return canonical([seq, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat(),
                      count, first_id, last_id, columns, rows_hash, hashlib.sha256(bytes(ids)).hexdigest(),
                      hashlib.sha256(bytes(digests)).hexdigest(), prev_hash])


def seal_hash(seal: Seal) -> str:
    return hashlib.sha256(_header(seal.seq, seal.slice_start, seal.slice_end, seal.count, seal.first_id, seal.last_id,
                                  seal.columns, seal.rows_hash, seal.ids, seal.digests, seal.prev_hash)).hexdigest()


def _seal_append(*, last: Seal | None, start: datetime, end: datetime, columns: list[str]) -> Seal:
    ids: list[int] = []
    locators = bytearray()
    rows_hasher = hashlib.sha256()
    for values in rows_of(LogEntry.objects.filter(created_at__gte=start, created_at__lt=end), columns):
        digest = row_digest(values)
        ids.append(values[0])
        locators += digest[:DIGEST_BYTES]
        rows_hasher.update(digest)
    seal = Seal(seq=(last.seq + 1) if last else 1, slice_start=start, slice_end=end, count=len(ids),
                first_id=ids[0] if ids else None, last_id=ids[-1] if ids else None, columns=columns,
                ids=_pack_ids(ids), digests=bytes(locators), rows_hash=rows_hasher.hexdigest(),
                prev_hash=last.hash if last else GENESIS, key_id=signing.key_id())
    seal.hash = seal_hash(seal)
    seal.signature = base64.b64encode(signing.sign(bytes.fromhex(seal.hash))).decode()
    seal.save(force_insert=True)
    return seal


def seal_settled(*, now: datetime | None = None) -> int:
    """Seal every settled slice after the last seal. Returns how many seals were appended (0 when another sealer
    holds the lock). Idempotent and catches up: it always continues from the last seal's end.

    Side effects: ``Seal`` rows, each committed on its own, so a crash loses at most the slice being sealed.
    """
    now = now or timezone.now()
    settled_end = slice_floor(now - SEAL_SETTLE)
    made = 0
    with advisory_lock(SEALER) as taken:
        if not taken:
            return 0
        last = Seal.objects.order_by("-seq").first()
        if last is not None:
            start = last.slice_end
        else:
            first_at = LogEntry.objects.order_by("created_at").values_list("created_at", flat=True).first()
            if first_at is None:
                return 0
            start = slice_floor(first_at)
        columns = log_columns()
        while start < settled_end:
            next_at = (LogEntry.objects.filter(created_at__gte=start, created_at__lt=settled_end)
                       .order_by("created_at").values_list("created_at", flat=True).first())
            if next_at is None:
                end = settled_end  # nothing more to seal: the empty stretch up to now, as one seal
            elif slice_floor(next_at) > start:
                end = slice_floor(next_at)  # an empty stretch up to the next busy minute, as one seal
            else:
                end = start + SEAL_SLICE
            with transaction.atomic():
                last = _seal_append(last=last, start=start, end=end, columns=columns)
            made += 1
            start = end
    return made


# --- verification ------------------------------------------------------------------------------------------------
@dataclass
class Problem:
    seal: int
    record: int | None
    what: str

    def __str__(self) -> str:
        who = f"record {self.record}" if self.record is not None else f"seal {self.seal}"
        return f"{who}: {self.what} (seal {self.seal})"


@dataclass
class VerifyReport:
    ok: bool = True
    seals: int = 0
    records: int = 0
    purged_seals: int = 0
    held_checked: int = 0
    unsealed_records: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def purge_horizon() -> datetime | None:
    """Records created before this may have been purged by a retention run (its rows are gone, its seals stay)."""
    return RetentionRun.objects.aggregate(m=Max("cutoff"))["m"]


class _SliceCheck:
    """Compares the records of one sealed slice, fed in id order, with what its seal recorded."""

    def __init__(self, seal: Seal) -> None:
        self.seal = seal
        self.ids = unpack_ids(seal.ids)
        self.locators = bytes(seal.digests)
        self.hasher = hashlib.sha256()
        self.i = 0

    def feed(self, values: tuple) -> Problem | None:
        digest = row_digest(values)
        self.hasher.update(digest)
        rid, i, seq = values[0], self.i, self.seal.seq
        if i >= len(self.ids) or rid < self.ids[i]:
            return Problem(seq, rid, "inserted into a sealed slice (or moved into it)")
        if rid > self.ids[i]:
            return Problem(seq, self.ids[i], "removed from a sealed slice (or moved out of it)")
        if digest[:DIGEST_BYTES] != self.locators[i * DIGEST_BYTES:(i + 1) * DIGEST_BYTES]:
            return Problem(seq, rid, "changed after it was sealed")
        self.i += 1
        return None

    def finish(self) -> Problem | None:
        if self.i < len(self.ids):
            return Problem(self.seal.seq, self.ids[self.i], "removed from a sealed slice (or moved out of it)")
        if self.hasher.hexdigest() != self.seal.rows_hash:
            return Problem(self.seal.seq, None, "the slice's rows hash does not match")
        return None


RUN_ROWS = 50_000  # records read by one query when checking consecutive seals


def _check_run(seals: list[Seal], report: VerifyReport) -> Problem | None:
    """Check consecutive seals (same columns) with one query: their records ordered by minute, then id, which is
    the seals' order and each seal's own order (slices are whole minutes). Round trips, not hashing, were what a
    busy database made verification wait for, one query per seal."""
    columns = seals[0].columns
    at = columns.index("created_at")
    rows = rows_of(LogEntry.objects.filter(created_at__gte=seals[0].slice_start, created_at__lt=seals[-1].slice_end)
                   .annotate(_minute=TruncMinute("created_at")).order_by("_minute", "id"), columns, ordered=True)
    n = 0
    check = _SliceCheck(seals[0])
    for values in rows:
        while values[at] >= check.seal.slice_end:
            if (problem := check.finish()) is not None:
                return problem
            n += 1
            check = _SliceCheck(seals[n])
        report.records += 1
        if (problem := check.feed(values)) is not None:
            return problem
    while True:
        if (problem := check.finish()) is not None:
            return problem
        n += 1
        if n == len(seals):
            return None
        check = _SliceCheck(seals[n])


def _runs(seals: list[Seal]) -> list[list[Seal]]:
    runs: list[list[Seal]] = []
    rows = 0
    for seal in seals:
        if runs and runs[-1][-1].columns == seal.columns and rows + seal.count <= RUN_ROWS:
            runs[-1].append(seal)
            rows += seal.count
        else:
            runs.append([seal])
            rows = seal.count
    return runs


def _check_held(seal: Seal, report: VerifyReport) -> Problem | None:
    """A purged slice's rows are gone, but the copies legal holds kept must still match their seal."""
    held = HeldLogEntry.objects.filter(created_at__gte=seal.slice_start, created_at__lt=seal.slice_end)
    if not held.exists():
        return None
    positions = {rid: n for n, rid in enumerate(unpack_ids(seal.ids))}
    locators = bytes(seal.digests)
    for entry in held.order_by("log_id").only("log_id", "canonical"):
        report.held_checked += 1
        n = positions.get(entry.log_id)
        if n is None:
            return Problem(seal.seq, entry.log_id, "held copy of a record the seal does not list")
        if hashlib.sha256(entry.canonical.encode()).digest()[:DIGEST_BYTES] != locators[
                n * DIGEST_BYTES:(n + 1) * DIGEST_BYTES]:
            return Problem(seal.seq, entry.log_id, "held copy changed after it was sealed")
    return None


def _check_batch(batch: list[tuple[bool, Seal]]) -> tuple[Problem | None, VerifyReport]:
    """Check the rows (or, for purged slices, the held copies) of consecutive seals; stop at the first problem."""
    counts = VerifyReport()
    try:
        for purged, seal in batch:
            if purged and (problem := _check_held(seal, counts)) is not None:
                return problem, counts
        for run in _runs([seal for purged, seal in batch if not purged]):
            if (problem := _check_run(run, counts)) is not None:
                return problem, counts
        return None, counts
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # this worker thread's own connection


def _default_workers() -> int:
    # Worker threads read on their own connections: only when those see what this one sees (PostgreSQL, and not
    # inside a transaction whose writes they could not see, as in a test). psycopg2 lets go of the GIL while the
    # server works, so one thread hashes while the other waits for rows.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return VERIFY_WORKERS


def seals_verify(*, stop_at_first: bool = True, workers: int | None = None) -> VerifyReport:
    """Verify the whole chain and every sealed record still in the log (or in the hold table after a purge).

    First the chain (links, hashes, signatures; cheap, in order), then the records of every seal, on ``workers``
    threads over contiguous runs of seals. Problems are reported in seal order, so the first is the first bad record.
    """
    report = VerifyReport()
    horizon = purge_horizon()
    prev_hash = GENESIS
    first_start = last_end = None
    pending: list[tuple[bool, Seal]] = []
    chain_problem = None
    expected = 0
    for seal in Seal.objects.order_by("seq").iterator(chunk_size=200):
        expected += 1
        first_start = first_start or seal.slice_start
        if seal.seq != expected:
            chain_problem = Problem(seal.seq, None, f"seal {expected} is missing from the chain")
        elif seal.prev_hash != prev_hash:
            chain_problem = Problem(seal.seq, None, "does not link to the previous seal")
        elif last_end is not None and seal.slice_start != last_end:
            chain_problem = Problem(seal.seq, None, "leaves a gap or overlap after the previous seal")
        elif seal_hash(seal) != seal.hash:
            chain_problem = Problem(seal.seq, None, "its contents do not match its hash")
        elif not signing.verify(bytes.fromhex(seal.hash), base64.b64decode(seal.signature)):
            chain_problem = Problem(seal.seq, None, "its signature does not verify with the platform key")
        if chain_problem is not None:
            break
        report.seals += 1
        purged = horizon is not None and seal.slice_end <= horizon
        report.purged_seals += int(purged)
        pending.append((purged, seal))
        prev_hash, last_end = seal.hash, seal.slice_end

    workers = workers or _default_workers()
    size = max(1, -(-len(pending) // (workers * 4)))
    batches = [pending[i:i + size] for i in range(0, len(pending), size)]
    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_check_batch, batches))
    else:
        results = []
        for batch in batches:
            results.append(_check_batch(batch))
            if results[-1][0] is not None and stop_at_first:
                break
    for problem, counts in results:
        report.records += counts.records
        report.held_checked += counts.held_checked
        if problem is not None:
            report.problems.append(problem)
    if chain_problem is not None:
        report.problems.append(chain_problem)
    report.problems.sort(key=lambda p: p.seal)
    if stop_at_first:
        del report.problems[1:]
    if not report.problems:
        bound = max(filter(None, [first_start, horizon]), default=None)
        if bound is not None:
            stray = (LogEntry.objects.filter(created_at__lt=bound).order_by("id")
                     .values_list("id", flat=True).first())
            if stray is not None:
                report.problems.append(Problem(0, stray, "dated before the sealed or purged part of the log"))
    if last_end is not None:
        report.unsealed_records = LogEntry.objects.filter(created_at__gte=last_end).count()
    report.ok = not report.problems
    return report


@transaction.atomic
def seal_verification_run(*, actor: User | None = None) -> SealVerification:
    """Verify the chain and record the outcome (shown on the compliance dashboard and the verification page)."""
    started = timezone.now()
    report = seals_verify()
    return SealVerification.objects.create(
        started_at=started, finished_at=timezone.now(), ok=report.ok, seals=report.seals, records=report.records,
        purged_seals=report.purged_seals, unsealed_records=report.unsealed_records,
        first_problem=str(report.first_problem) if report.first_problem else "",
        problems=[str(p) for p in report.problems[:100]], requested_by=actor)


def sealed_until() -> datetime | None:
    return Seal.objects.order_by("-seq").values_list("slice_end", flat=True).first()


def settle_margin() -> timedelta:
    return SEAL_SETTLE
