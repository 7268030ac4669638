"""Writes of the complaints app. Each public service names its side effects; see the modules for their invariants."""

from .escalation import sla_sweep_run
from .intake import complaint_file, complaint_refer, target_resolve
from .workflow import (
    MeasureOrder,
    case_assign,
    case_close,
    case_decide,
    case_merge,
    case_triage,
    complaint_list_seen,
    complaint_mark_false,
)

__all__ = [
    "MeasureOrder",
    "case_assign",
    "case_close",
    "case_decide",
    "case_merge",
    "case_triage",
    "complaint_file",
    "complaint_list_seen",
    "complaint_mark_false",
    "complaint_refer",
    "sla_sweep_run",
    "target_resolve",
]
