"""The bank's wire vocabulary: the one mapping between the protobuf contract's enums and
the domain's, and the framing its read model keeps answers in.

Protobuf's wire framing of a length-delimited field, to assemble messages from parts.

A repeated message field is, on the wire, one element per item: the field's tag, the
item's length as a varint, then the item's bytes. A message made of one such field is
the concatenation of its elements, so a store that keeps each item framed can answer
a list of them without parsing or building a message.
"""

from google.protobuf.descriptor import FieldDescriptor

from bank.domain.events import AccountType
from techbank.account.v1 import account_pb2

ACCOUNT_TYPES = {
    account_pb2.ACCOUNT_TYPE_SAVINGS: AccountType.SAVINGS,
    account_pb2.ACCOUNT_TYPE_CURRENT: AccountType.CURRENT,
}
WIRE_ACCOUNT_TYPES = {domain: wire for wire, domain in ACCOUNT_TYPES.items()}


LENGTH_DELIMITED = 2


def element(field: FieldDescriptor, item: bytes) -> bytes:
    """`item` (a serialized message) framed as one element of `field`."""
    if field.type != FieldDescriptor.TYPE_MESSAGE or field.number >= 16:
        raise ValueError(f"{field.full_name}: only message fields numbered 1 to 15")
    return bytes((field.number << 3 | LENGTH_DELIMITED,)) + varint(len(item)) + item


def item_of(framed: bytes) -> bytes:
    """The serialized message inside an element that `element` framed."""
    position = 1  # past the one-byte tag
    while framed[position] & 0x80:
        position += 1
    return framed[position + 1 :]


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
