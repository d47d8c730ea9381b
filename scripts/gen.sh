#!/usr/bin/env bash
# Generates Python messages, gRPC stubs and mypy stubs from protos/ into the folder given.
set -euo pipefail
python=$1
out=$2
cd "$(dirname "$0")/.."
rm -rf "$out/techbank"
mkdir -p "$out/techbank"
mapfile -t protos < <(find protos -name '*.proto' | sort)
"$python" -m grpc_tools.protoc -I protos \
  --python_out="$out" --grpc_python_out="$out" \
  --mypy_out="$out" --mypy_grpc_out="$out" \
  --plugin=protoc-gen-mypy="$(dirname "$python")/protoc-gen-mypy" \
  --plugin=protoc-gen-mypy_grpc="$(dirname "$python")/protoc-gen-mypy_grpc" \
  --descriptor_set_out="$out/techbank/descriptors.binpb" --include_imports --include_source_info \
  "${protos[@]}"
# Package markers so `techbank.account.v1` imports as a regular package.
find "$out/techbank" -type d -exec touch {}/__init__.py \;
