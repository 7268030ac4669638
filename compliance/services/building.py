"""What every background package build shares (inspection exports, regulator reports, filing packages): a failed
build leaves no half-written file and marks its row failed with the error; a finished one records its file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db.models import QuerySet

from ..models import PackageFile
from ..packages import PackageWriter, file_sha256

log = logging.getLogger(__name__)


@contextmanager
def package_building(writer: PackageWriter, *, row: QuerySet, failed: str) -> Iterator[PackageWriter]:
    """Write the package inside the block and close (sign) it after; on any error remove the file, set ``row``'s
    status to ``failed`` with the error, and re-raise (the task fails visibly and may be run again)."""
    try:
        yield writer
        writer.close()
    except Exception as exc:
        writer.abort()
        row.update(status=failed, error=repr(exc)[:2000])
        log.exception("package %s failed", writer.path.name)
        raise


def package_file_record(row: PackageFile, path: Path) -> list[str]:
    """Set ``row``'s package fields from the finished file (path, size, SHA-256); returns their names for ``save``."""
    values = {"package_path": str(path), "package_size": path.stat().st_size, "package_sha256": file_sha256(path)}
    for name, value in values.items():
        setattr(row, name, value)
    return list(values)
