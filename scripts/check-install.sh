#!/usr/bin/env bash
# Checks that upsert installs and can be used from outside the tree, as a packager and a user would:
# for the static and the shared library, configure and build Release (library and command only, no
# tests or benchmarks) into build-install-<kind>/, install into a temporary prefix, build
# examples/consumer both with find_package(upsert) and with pkg-config, and run both builds. The
# shared library must export nothing but the public API. Run by scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=${UPSERT_BUILD_JOBS:-$(nproc)}

# Runs a command quietly, showing its output only when it fails.
quiet() {
  local log=$work/last.log
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-install: failed: $*" >&2
    exit 1
  fi
}

check() {
  local kind=$1 shared=$2
  local build=$root/build-install-$kind prefix=$work/$kind/prefix
  echo "check-install: $kind library"
  quiet cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUPSERT_SHARED="$shared" \
    -DUPSERT_BUILD_TESTS=OFF -DUPSERT_BUILD_BENCHMARKS=OFF
  quiet cmake --build "$build" -j "$jobs"
  quiet cmake --install "$build" --prefix "$prefix"
  # The Python package, imported from the installed site-packages directory, away from the tree.
  local package
  package=$(dirname "$(find "$prefix" -name '_upsert*.so' | head -1)")
  quiet test -f "$package/__init__.py"
  (cd "$work" && quiet env PYTHONPATH="$(dirname "$package")" /usr/bin/python3 -c \
    "import upsert, upsert.errors; upsert.connect('sqlite::memory:').server_version()")
  local libdir
  libdir=$(dirname "$(find "$prefix" -name 'libupsert.*' | head -1)")

  quiet "$prefix/bin/upsert" --help

  if [ "$shared" = ON ]; then
    # Everything but UPSERT_EXPORT is hidden: no private name of the library may be exported.
    local leaked
    leaked=$(nm -DC --defined-only "$libdir/libupsert.so" | grep -E 'upsert::(detail|cli)::' || true)
    if [ -n "$leaked" ]; then
      echo "check-install: libupsert.so exports private symbols:" >&2
      echo "$leaked" | head -20 >&2
      exit 1
    fi
  fi

  # find_package(upsert) from the installed prefix.
  quiet cmake -S examples/consumer -B "$work/$kind/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix"
  quiet cmake --build "$work/$kind/cmake"
  quiet env LD_LIBRARY_PATH="$libdir" "$work/$kind/cmake/consumer" "$work/$kind"

  # pkg-config (a static upsert.pc requires the client libraries, a shared one only privately).
  local flags
  flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs upsert)
  # shellcheck disable=SC2086
  quiet g++ -std=c++20 -O1 -o "$work/$kind/consumer-pc" examples/consumer/main.cpp $flags
  quiet env LD_LIBRARY_PATH="$libdir" "$work/$kind/consumer-pc" "$work/$kind"
  echo "check-install: $kind library installs, and the consumer builds and runs with CMake and pkg-config"
}

check static OFF
check shared ON
