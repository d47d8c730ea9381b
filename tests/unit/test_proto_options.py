"""Every proto file of the contract says how other languages name its generated code,
so protoc-gen-go and the Java and C# generators need no flags of the user's own."""

from importlib.resources import files

import pytest
from google.protobuf import descriptor_pb2

DESCRIPTORS = files("techbank") / "descriptors.binpb"
GO_PACKAGE = "github.com/techbank/techbank/gen/go/techbank/account/v1;accountv1"


def our_files() -> list[descriptor_pb2.FileDescriptorProto]:
    every = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes()).file
    return [file for file in every if file.package.startswith("techbank.")]


@pytest.mark.parametrize("file", our_files(), ids=lambda file: file.name)
def test_each_file_names_its_code_for_go_java_and_csharp(
    file: descriptor_pb2.FileDescriptorProto,
) -> None:
    options = file.options
    assert options.go_package == GO_PACKAGE
    assert (options.java_package, options.java_multiple_files) == ("io.techbank.account.v1", True)
    assert options.java_outer_classname.endswith("Proto")
    assert options.csharp_namespace == "Techbank.Account.V1"


def test_the_descriptor_set_holds_the_whole_contract() -> None:
    names = {file.name.rpartition("/")[2] for file in our_files()}
    assert names == {
        "account.proto",
        "commands.proto",
        "events.proto",
        "feed.proto",
        "history.proto",
        "queries.proto",
        "transfers.proto",
    }
