#!/usr/bin/env bash
# hashlab's benchmark runner (issue 16): builds the baselines itself (a
# bare double-SHA-256 loop, btcd's header path, Debian's sqlite3 CLI, a
# hello-world net/http server, a bare per-block simulator loop), runs them
# interleaved with hashlab's own work and prints one table of ratios with
# the machine. README's performance section is its output.
#   scripts/bench.sh               # everything (a few minutes)
#   scripts/bench.sh -only http    # one comparison
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v sqlite3 >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "scripts/bench.sh: installing Debian's sqlite3 for the import baseline" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends sqlite3 >&2
fi
exec go run ./internal/benchrun "$@"
