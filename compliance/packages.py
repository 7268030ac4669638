"""One package format for everything the platform hands to an authority (filing, regulator reports, inspections).

A ZIP holding a human-readable ``document.html`` and its PDF twin ``document.pdf`` (``package_pdf``: left out, and
the manifest and document say why, when no CJK font can draw it), machine-readable JSON and CSV files,
``manifest.json`` with the SHA-256 and size of every other file, and ``manifest.sig``: the platform key's Ed25519 signature of the manifest's
exact bytes. The ZIP's own comment holds a second signature, of every byte of the file before it, so nothing in the
container (headers, timestamps, the central directory) can change either. ``verify_package`` (and ``manage.py
package_verify FILE``) checks both signatures and recomputes every digest: a changed, added or removed byte fails.

Files are streamed into the ZIP as they are written (``ZipFile.open(name, "w")``), hashed on the way: an export of a
million rows never holds them in memory.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from django.template.loader import render_to_string
from django.utils import timezone

from . import package_pdf, signing

FORMAT = "groupchat-package/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ARCHIVE_SIG_PREFIX = b"groupchat-package-ed25519:"
_ARCHIVE_SIG_LEN = len(ARCHIVE_SIG_PREFIX) + 88  # base64 of a 64-byte signature
_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def json_default(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=json_default, option=_JSON_OPTIONS)


class _HashingStream(io.RawIOBase):
    """A write-only stream into one ZIP member that keeps the member's SHA-256 and size."""

    def __init__(self, target) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._target.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


@dataclass
class Section:
    """A part of the human-readable document: a heading in both languages, paragraphs, and an optional table."""

    title_zh: str
    title_en: str
    paragraphs: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


class PackageWriter:
    """Write a package file by file; ``close()`` adds the document, the manifest and its signature."""

    def __init__(self, path: Path, *, kind: str, title_zh: str, title_en: str, meta: dict[str, Any] | None = None):
        self.path = Path(path)
        self.kind = kind
        self.title_zh = title_zh
        self.title_en = title_en
        self.meta = meta or {}
        self.sections: list[Section] = []
        self.files: list[dict[str, Any]] = []
        self.created_at = timezone.now()
        self._zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)

    @contextmanager
    def open_binary(self, name: str) -> Iterator[_HashingStream]:
        if name in (MANIFEST, SIGNATURE) or any(f["name"] == name for f in self.files):
            raise ValueError(f"{name} is already in the package")
        with self._zip.open(name, "w", force_zip64=True) as member:
            stream = _HashingStream(member)
            yield stream
        self.files.append({"name": name, "sha256": stream.sha256.hexdigest(), "size": stream.size})

    @contextmanager
    def open_text(self, name: str) -> Iterator[io.TextIOWrapper]:
        with self.open_binary(name) as raw:
            text = io.TextIOWrapper(io.BufferedWriter(raw, buffer_size=1 << 16), encoding="utf-8", newline="")
            yield text
            text.flush()
            text.detach()

    def write_bytes(self, name: str, data: bytes) -> None:
        with self.open_binary(name) as out:
            out.write(data)

    def write_json(self, name: str, value: Any) -> None:
        self.write_bytes(name, orjson.dumps(value, default=json_default, option=_JSON_OPTIONS | orjson.OPT_INDENT_2))

    def write_json_array(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        """Stream ``rows`` as one JSON array, one element per line. Returns the count."""
        count = 0
        with self.open_binary(name) as out:
            buffer = io.BufferedWriter(out, buffer_size=1 << 16)
            buffer.write(b"[")
            for row in rows:
                buffer.write(b"\n" if count == 0 else b",\n")
                buffer.write(dumps(row))
                count += 1
            buffer.write(b"\n]\n")
            buffer.flush()
            buffer.detach()
        return count

    def write_csv(self, name: str, headers: list[str], rows: Iterable[Iterable[Any]]) -> int:
        """Stream ``rows`` as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese). Returns the count."""
        count = 0
        with self.open_text(name) as out:
            out.write("\ufeff")
            writer = csv.writer(out)
            writer.writerow(headers)
            for row in rows:
                writer.writerow(["" if v is None else (dumps(v).decode() if isinstance(v, (dict, list)) else v)
                                 for v in row])
                count += 1
        return count

    def add_section(self, section: Section) -> None:
        self.sections.append(section)

    def close(self) -> dict[str, Any]:
        """Render the document, write the signed manifest, close the ZIP. Returns the manifest."""
        context = {
            "title_zh": self.title_zh, "title_en": self.title_en, "kind": self.kind, "created_at": self.created_at,
            "meta": self.meta, "sections": self.sections, "files": list(self.files), "key_id": signing.key_id(),
        }
        html = render_to_string("compliance/package_document.html", context)
        pdf = package_pdf.render(html)
        if pdf.omitted:  # the document itself says why it has no PDF twin
            html = render_to_string("compliance/package_document.html", {**context, "pdf_omitted": pdf.omitted})
        self.write_bytes("document.html", html.encode())
        if pdf.pdf is not None:
            self.write_bytes("document.pdf", pdf.pdf)
        manifest = {
            "format": FORMAT, "kind": self.kind, "title": {"zh": self.title_zh, "en": self.title_en},
            "created_at": self.created_at.isoformat(), "meta": self.meta, "files": self.files,
            "document": {"html": "document.html", "pdf": "document.pdf" if pdf.pdf is not None else None,
                         **({"pdf_omitted": pdf.omitted} if pdf.omitted else {})},
            "signature": {"algorithm": "Ed25519", "key_id": signing.key_id(), "public_key": signing.public_key_b64(),
                          "signed": MANIFEST, "file": SIGNATURE},
        }
        body = orjson.dumps(manifest, default=json_default, option=_JSON_OPTIONS | orjson.OPT_INDENT_2)
        self._zip.writestr(MANIFEST, body)
        self._zip.writestr(SIGNATURE, base64.b64encode(signing.sign(body)) + b"\n")
        # A placeholder of the final length, replaced by the signature of everything before it once the file is whole.
        self._zip.comment = ARCHIVE_SIG_PREFIX + b"=" * 88
        self._zip.close()
        with open(self.path, "r+b") as handle:
            handle.seek(0, 2)
            end = handle.tell()
            handle.seek(0)
            signed = _read_prefix(handle, end - _ARCHIVE_SIG_LEN)
            handle.seek(end - _ARCHIVE_SIG_LEN + len(ARCHIVE_SIG_PREFIX))
            handle.write(base64.b64encode(signing.sign(signed)))
        return manifest

    def abort(self) -> None:
        self._zip.close()
        self.path.unlink(missing_ok=True)


def _read_prefix(handle, length: int) -> bytes:
    """What the archive signature signs: the SHA-256 of the file's first ``length`` bytes, read in chunks (Ed25519
    takes its message whole, and a package can be far larger than memory should hold)."""
    digest = hashlib.sha256()
    left = length
    while left > 0:
        chunk = handle.read(min(left, 1 << 20))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return b"groupchat-package-sha256:" + digest.digest()


def _archive_signature_ok(path: Path | str, public_key: bytes | None) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        if end <= _ARCHIVE_SIG_LEN:
            return False
        handle.seek(end - _ARCHIVE_SIG_LEN)
        tail = handle.read()
        if not tail.startswith(ARCHIVE_SIG_PREFIX):
            return False
        try:
            signature = base64.b64decode(tail[len(ARCHIVE_SIG_PREFIX):], validate=True)
        except ValueError:
            return False
        handle.seek(0)
        return signing.verify(_read_prefix(handle, end - _ARCHIVE_SIG_LEN), signature, public=public_key)


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    manifest: dict[str, Any] | None = None
    files_checked: int = 0


def verify_package(path: Path | str, *, public_key: bytes | None = None) -> Verification:
    """Check a package: every file's SHA-256 and size against the manifest, no file missing or added, and the
    manifest's Ed25519 signature by the platform key (or ``public_key``). Never raises on a bad file."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # any malformed input is a failed verification, never a crash
        return Verification(False, [f"not a readable ZIP file: {exc}"])
    with archive:
        names = archive.namelist()
        if MANIFEST not in names or SIGNATURE not in names:
            return Verification(False, [f"{MANIFEST} or {SIGNATURE} is missing"])
        try:
            body = archive.read(MANIFEST)
            signature = base64.b64decode(archive.read(SIGNATURE).strip(), validate=True)
            manifest = orjson.loads(body)
        except Exception as exc:
            return Verification(False, [f"the manifest or its signature cannot be read: {exc}"])
        if not signing.verify(body, signature, public=public_key):
            problems.append("the manifest's signature does not verify with the platform key")
        listed = {f.get("name"): f for f in manifest.get("files", [])}
        for name in names:
            if name not in listed and name not in (MANIFEST, SIGNATURE):
                problems.append(f"{name}: in the ZIP but not in the manifest")
        checked = 0
        for name, entry in listed.items():
            if name not in names:
                problems.append(f"{name}: in the manifest but missing from the ZIP")
                continue
            digest, size = hashlib.sha256(), 0
            try:
                with archive.open(name) as member:
                    while chunk := member.read(1 << 20):
                        digest.update(chunk)
                        size += len(chunk)
            except Exception as exc:
                problems.append(f"{name}: cannot be read ({exc})")
                continue
            checked += 1
            if digest.hexdigest() != entry.get("sha256") or size != entry.get("size"):
                problems.append(f"{name}: SHA-256 does not match the manifest")
        if len(names) != len(set(names)):
            problems.append("the ZIP holds two files with the same name")
    if not _archive_signature_ok(path, public_key):
        problems.append("the ZIP file's own signature (in its comment) does not verify: the file was changed")
    return Verification(not problems, problems, manifest, checked)


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def package_path(kind: str, ident: str | int, at: datetime | None = None) -> Path:
    from .conf import package_dir

    at = at or timezone.now()
    return package_dir() / f"{kind}-{ident}-{at:%Y%m%dT%H%M%S}.zip"
