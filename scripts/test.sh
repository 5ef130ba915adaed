#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks formatting, checks that the library
# installs and a program outside the tree builds against it (static and shared, Release), starts
# throwaway PostgreSQL and MariaDB servers, a Galera cluster and a Spider set, runs every test
# with ctest (the `cluster` label included), and stops them again.
# A test that needs a server and finds none fails; nothing is skipped.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build.sh
bash scripts/check-format.sh
bash scripts/check-install.sh

# shellcheck source=use-test-servers.sh
source scripts/use-test-servers.sh test

ctest --test-dir build --output-on-failure --timeout 900 -j "${UPSERT_TEST_JOBS:-2}" "$@"

# libFuzzer targets (tests/fuzz) under ASan+UBSan, 20 s each over the seed corpus: about 2.5 min
# with the fuzz build up to date, plus about 5 min to build build-fuzz from scratch on 2 cores.
bash scripts/fuzz.sh 20

# Faults against servers of its own (killed and restarted, stopped and continued, connections
# terminated) while the counter writer and ingest run; 70-90 s wall in all.
bash scripts/soak.sh --seconds 40
