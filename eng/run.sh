#!/usr/bin/env bash
# Runs the platform under Aspire (dashboard, distribution replicas, Azurite, Redis, RabbitMQ) from a fresh machine.
# Usage: bash eng/run.sh [AppHost arguments, e.g. Infrastructure:Mode=Executables]
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh
exec dotnet run --project AppHost -- "$@"
