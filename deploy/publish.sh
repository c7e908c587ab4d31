#!/usr/bin/env bash
# Publishes the platform's services, the single-process host and the CLI for one Linux runtime, framework-dependent
# (the machine needs the .NET 10 ASP.NET Core runtime) and ReadyToRun: code compiled ahead of time starts serving at
# speed at once instead of after the JIT has worked through the hot paths (see deploy/README.md for the figures).
# Usage: [OUT=deploy/out] [RID=linux-x64] bash deploy/publish.sh [project names...]   (default: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-deploy/out}"
RID="${RID:-linux-x64}"
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  projects=(Registry.Standalone Registry.Gateway Registry.Auth Registry.Distribution Registry.Webhooks Registry.Replication Registry.Scanner Registry.Cli)
fi
for project in "${projects[@]}"; do
  [ -f "services/$project/$project.csproj" ] || { echo "no such service: $project" >&2; exit 2; }
  echo "[publish] $project -> $OUT/$project" >&2
  dotnet publish "services/$project" -c Release -r "$RID" --self-contained false -p:PublishReadyToRun=true \
    -o "$OUT/$project" -nologo -clp:ErrorsOnly
done
