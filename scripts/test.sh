#!/usr/bin/env bash
# The whole hashlab test suite, from a fresh clone, with nothing set up by
# hand: installs what the tests need (Debian's chromium for the dashboard's
# browser tests, and postgresql for the PostgreSQL store tests; btcd is built by the tests themselves from go.mod's tool
# directive), vets, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# A C compiler for SQLite's C code (github.com/mattn/go-sqlite3 is cgo).
if ! command -v gcc >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "scripts/test.sh: installing gcc for SQLite's C code (apt-get)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gcc libc6-dev >&2
  else
    echo "scripts/test.sh: gcc is missing and apt-get is not available; install a C compiler and rerun" >&2
    exit 1
  fi
fi

need_chromium() { ! command -v chromium >/dev/null 2>&1; }
if need_chromium; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "scripts/test.sh: installing chromium for the browser tests (apt-get)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
  else
    echo "scripts/test.sh: chromium is missing and apt-get is not available; install Chromium and rerun" >&2
    exit 1
  fi
fi

# PostgreSQL for the store and ingest tests on the second backend
# (internal/pgtest runs Debian's binaries from /usr/lib/postgresql/*/bin;
# HASHLAB_REQUIRE_PG makes a missing PostgreSQL a failure, never a skip).
need_postgresql() { ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; }
if need_postgresql; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "scripts/test.sh: installing postgresql for the PostgreSQL store tests (apt-get)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
  else
    echo "scripts/test.sh: PostgreSQL is missing and apt-get is not available; install PostgreSQL (initdb, postgres) and rerun" >&2
    exit 1
  fi
fi
export HASHLAB_REQUIRE_PG=1

# Prometheus for the deployment test (deploy/: Debian's prometheus scrapes
# two real `hashlab serve` replicas with the shipped scrape configuration;
# HASHLAB_REQUIRE_PROMETHEUS makes a missing prometheus a failure, never a skip).
if ! command -v prometheus >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "scripts/test.sh: installing prometheus for the deployment test (apt-get)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >&2
  else
    echo "scripts/test.sh: prometheus is missing and apt-get is not available; install Prometheus and rerun" >&2
    exit 1
  fi
fi
export HASHLAB_REQUIRE_PROMETHEUS=1

go vet ./...
go test -count=1 -timeout 30m "$@" ./...
