#!/usr/bin/env bash
# buf breaking, against what the protos are being changed from: the last commit while
# protos/ differs from it, the commit before it otherwise (a clean checkout, as in CI).
# A clone without that commit (shallow, or the first commit) has nothing to compare.
set -euo pipefail
buf="$1"
if ! git diff --quiet HEAD -- protos; then
  against=HEAD
elif git rev-parse --verify --quiet 'HEAD~1^{commit}' >/dev/null; then
  against=HEAD~1
else
  echo "buf breaking: no earlier commit to compare protos/ with; skipped" >&2
  exit 0
fi
echo "buf breaking against $against"
"$buf" breaking --against ".git#ref=$against"
