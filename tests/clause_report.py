"""``make clauses`` / ``python -m tests.clause_report``: list, per clause ID, how many tests prove it (uncovered too)."""

from __future__ import annotations

import subprocess
import sys

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]))
