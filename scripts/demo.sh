#!/usr/bin/env bash
# The main job on embedded SQLite: installs what is missing, builds, and runs the A/B demo.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
if ./build/upsert demo --help >/dev/null 2>&1; then
  exec ./build/upsert demo "$@"
fi
# Until `upsert demo` exists: the A/B upsert in all six dialects.
exec ./build/upsert sql --table ab_hourly --key ab_test_id,version,date,hour --sum participants,conversions \
  --types ab_test_id:int64,date:date,hour:int64 --ddl
