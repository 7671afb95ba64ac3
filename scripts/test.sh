#!/usr/bin/env bash
# The whole hashlab test suite, from a fresh clone, with nothing set up by
# hand: installs what the tests need from Debian (gcc for SQLite's C code,
# chromium for the dashboard's browser tests, postgresql for the store
# tests on the second backend, prometheus for the deployment test; btcd is
# built by the tests themselves from go.mod's tool directive), vets, then
# runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_install WHAT PACKAGE... installs the Debian packages that provide
# WHAT (named in the messages), running apt-get update at most once.
apt_updated=""
apt_install() {
  local what=$1
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: $what is missing and apt-get is not available; install it and rerun" >&2
    exit 1
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "scripts/test.sh: installing $* for $what (apt-get)" >&2
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

# A C compiler for SQLite's C code (github.com/mattn/go-sqlite3 is cgo).
command -v gcc >/dev/null 2>&1 || apt_install "a C compiler (SQLite's C code)" gcc libc6-dev

command -v chromium >/dev/null 2>&1 || apt_install "Chromium (the browser tests)" chromium

# PostgreSQL for the store and ingest tests on the second backend
# (internal/pgtest runs Debian's binaries from /usr/lib/postgresql/*/bin;
# HASHLAB_REQUIRE_PG makes a missing PostgreSQL a failure, never a skip).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  apt_install "PostgreSQL (initdb, postgres; the PostgreSQL store tests)" postgresql
fi
export HASHLAB_REQUIRE_PG=1

# Prometheus for the deployment test (deploy/: Debian's prometheus scrapes
# two real `hashlab serve` replicas with the shipped scrape configuration;
# HASHLAB_REQUIRE_PROMETHEUS makes a missing prometheus a failure, never a skip).
command -v prometheus >/dev/null 2>&1 || apt_install "Prometheus (the deployment test)" prometheus
export HASHLAB_REQUIRE_PROMETHEUS=1

go vet ./...
go test -count=1 -timeout 30m "$@" ./...
