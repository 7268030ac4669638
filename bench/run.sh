#!/usr/bin/env bash
# bench/run.sh SCENARIO [options]   (setup, ingest, ingest-ceiling, fanout, fanout-ceiling, history,
#                                      scaleout, profile, queries, or all)
# A thin wrapper over `python -m bench.run`; `all` runs the suite recorded in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if [ "${1:-}" = "all" ]; then
  shift
  $PY -m bench.run "$@" setup
  $PY -m bench.run "$@" queries
  $PY -m bench.run "$@" ingest --duration 20 --repeat 2 --targets groupchat,baseline       # scenario 1
  $PY -m bench.run "$@" fanout --members 200,2000 --duration 20                          # scenario 2
  $PY -m bench.run "$@" fanout-ceiling --members 2000 --rates 2,4,8,12,16,20,24 --targets groupchat
  $PY -m bench.run "$@" fanout-ceiling --members 2000 --rates 2 --targets baseline
  $PY -m bench.run --variant plain-pubsub "$@" fanout-ceiling --members 2000 --rates 2,4 --targets groupchat
  $PY -m bench.manygroups "$@"                                                            # scenario 3
  $PY -m bench.run "$@" history --under-load --history 1000000 --spread 9000000          # scenario 4
  $PY -m bench.run "$@" history --under-load --history 1000000 --spread 9000000 --servers 2
  $PY -m bench.run "$@" history --under-load --history 1000000 --spread 9000000 --servers 2 --ingest-rate 0
  $PY -m bench.run "$@" ingest --servers 1,2 --repeat 2 --targets groupchat              # scenario 5
  $PY -m bench.run "$@" ingest-ceiling --servers 1,2 --rates 800,1000,1200,1400,1600,1800,2000
  $PY -m bench.run "$@" fanout-ceiling --members 2000 --rates 12,16,20,24,28,32 --servers 1,2 --targets groupchat
  $PY -m bench.run "$@" scaleout --duration 20
  for n in 1 2; do for r in 3 4 5 6; do                                                 # 5: many groups, 1 vs 2
    $PY -m bench.manygroups "$@" --skip-setup --servers $n --rate $r --duration 20 --big-runs 0 --cold-runs 0
  done; done
  $PY -m bench.run "$@" profile --duration 15
  exit 0
fi
exec $PY -m bench.run "$@"
