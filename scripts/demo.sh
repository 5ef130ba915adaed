#!/usr/bin/env bash
# The main job on embedded SQLite: installs what is missing, builds, and runs the A/B demo
# (`upsert demo`: page views from several threads through the counter writer into ab_hourly,
# then the busiest hours and a verification line). Extra arguments go to `upsert demo`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
exec ./build/upsert demo "$@"
