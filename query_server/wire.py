"""Responses assembled from the read model's serialized accounts, without parsing them.

AccountList and AccountPage are each one repeated Account field: on the wire, every
element is the field's tag, its length as a varint, then the Account's own bytes, so
a list is the concatenation of its elements framed that way.
"""

from collections.abc import Iterable

from google.protobuf.descriptor import FieldDescriptor

from techbank.account.v1 import queries_pb2


def _tag_of(field: FieldDescriptor) -> bytes:
    assert field.type == FieldDescriptor.TYPE_MESSAGE and field.number < 16
    return bytes([field.number << 3 | 2])  # wire type 2: length-delimited


LIST_TAG = _tag_of(queries_pb2.AccountList.DESCRIPTOR.fields_by_name["accounts"])
PAGE_TAG = _tag_of(queries_pb2.AccountPage.DESCRIPTOR.fields_by_name["accounts"])


def account_list(wires: Iterable[bytes]) -> bytes:
    """An AccountList of the given serialized Accounts."""
    return _repeated(LIST_TAG, wires)


def account_page(wires: Iterable[bytes]) -> bytes:
    """An AccountPage of the given serialized Accounts."""
    return _repeated(PAGE_TAG, wires)


def _repeated(tag: bytes, wires: Iterable[bytes]) -> bytes:
    return b"".join(tag + _varint(len(wire)) + wire for wire in wires)


def _varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
