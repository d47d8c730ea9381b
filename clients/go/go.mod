// The Go client. Its module path is the protos' go_package root
// (github.com/techbank/techbank/gen/go/...), so `protoc-gen-go --go_opt=module=...`
// writes the generated package to gen/go/techbank/account/v1 inside this module and
// the example imports it by the path the protos declare: one module, no M mappings and
// no replace directive. The module is never fetched by that path; it builds from here.
module github.com/techbank/techbank

go 1.26.0

require (
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261110000943-09e21b237f2c
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
