#!/usr/bin/env bash
# bench/run.sh SCENARIO [options]   (setup, ingest, fanout, history, scaleout, profile, queries, or all)
# A thin wrapper over `python -m bench.run`; `all` runs the suite recorded in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if [ "${1:-}" = "all" ]; then
  shift
  $PY -m bench.run "$@" setup
  $PY -m bench.run "$@" queries
  $PY -m bench.run "$@" ingest --duration 20 --repeat 2
  $PY -m bench.run "$@" ingest --duration 20 --layer pubsub
  $PY -m bench.run "$@" fanout --members 200,2000 --duration 20
  $PY -m bench.run "$@" fanout --members 2000 --duration 20 --layer pubsub
  $PY -m bench.run "$@" scaleout --duration 20
  $PY -m bench.run "$@" scaleout --duration 20 --layer pubsub
  $PY -m bench.run "$@" profile --duration 15
  $PY -m bench.run "$@" history
  exit 0
fi
exec $PY -m bench.run "$@"
