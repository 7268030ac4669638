"""Compliance writes. Invariants: the network log is only ever deleted by ``retention_sweep_run`` (and never a
record younger than the legal floor or covered by an active legal hold); seals are only ever appended; an inspection
export needs a second officer's approval; every export and download is recorded."""
