#!/usr/bin/env bash
# Generates the Go messages and gRPC stubs from protos/ into the folder given (the Go
# client's module root, clients/go): the protos' go_package less the module path
# github.com/techbank/techbank, so gen/go/techbank/account/v1. The plugins are the pinned
# ones `make` installs in .tools/bin; the compiler is the venv's, as for the Python code.
set -euo pipefail
python=$1
out=$2
cd "$(dirname "$0")/.."
for plugin in protoc-gen-go protoc-gen-go-grpc; do
  [[ -x .tools/bin/$plugin ]] || { echo ".tools/bin/$plugin is missing: 'make gen' installs it" >&2; exit 1; }
done
rm -rf "$out/gen"
mkdir -p "$out/gen"
mapfile -t protos < <(find protos -name '*.proto' | sort)
"$python" -m grpc_tools.protoc -I protos \
  --plugin=protoc-gen-go=.tools/bin/protoc-gen-go \
  --plugin=protoc-gen-go-grpc=.tools/bin/protoc-gen-go-grpc \
  --go_out="$out" --go_opt=module=github.com/techbank/techbank \
  --go-grpc_out="$out" --go-grpc_opt=module=github.com/techbank/techbank \
  "${protos[@]}"
