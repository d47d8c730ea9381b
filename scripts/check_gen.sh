#!/usr/bin/env bash
# Regenerates into a scratch folder and compares with the committed generated/ and
# clients/go/gen (the Go plugins are the ones `make check-gen` installs in .tools/bin).
set -euo pipefail
python=$1
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
scripts/gen.sh "$python" "$scratch"
if ! diff -r -q -x __pycache__ "$scratch/techbank" generated/techbank; then
  echo "generated/ is stale: run 'make gen' and commit the result" >&2
  exit 1
fi
scripts/gen_go.sh "$python" "$scratch/go"
if ! diff -r -q "$scratch/go/gen" clients/go/gen; then
  echo "clients/go/gen is stale: run 'make gen' and commit the result" >&2
  exit 1
fi
