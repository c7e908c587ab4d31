#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs and starts what the tests need, then runs every test project.
# Usage: bash eng/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

bash eng/setup.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="$(mktemp -d)"
log="$results/test.log"

echo "==> dotnet build"
dotnet build Registry.sln -c Release -nologo -clp:ErrorsOnly

echo "==> dotnet test"
status=0
dotnet test Registry.sln -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --results-directory "$results" "$@" 2>&1 | tee "$log" || status=$?

# Failed tests last, with the first lines of their messages, so a truncated CI log still names them.
if grep -q "^ *Failed [A-Za-z]" "$log"; then
  echo "==> failed tests"
  grep -A4 "^ *Failed [A-Za-z]" "$log" | cut -c1-300 | head -120 || true
fi

# One plain closing line over every test project: "Tests: N passed, N failed, N skipped".
awk '
  /^Total tests: [0-9]+/ { projects++ }
  /^ +Passed: [0-9]+$/  { passed += $2 }
  /^ +Failed: [0-9]+$/  { failed += $2 }
  /^ +Skipped: [0-9]+$/ { skipped += $2 }
  END {
    if (projects == 0) { print "no test results found"; exit 1 }
    printf "Tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped
    if (failed > 0 || skipped > 0) exit 1
  }' "$log" || status=1

exit "$status"
