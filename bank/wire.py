"""The one mapping between the protobuf contract's enums and the domain's."""

from bank.domain.events import AccountType
from techbank.account.v1 import account_pb2

ACCOUNT_TYPES = {
    account_pb2.ACCOUNT_TYPE_SAVINGS: AccountType.SAVINGS,
    account_pb2.ACCOUNT_TYPE_CURRENT: AccountType.CURRENT,
}
WIRE_ACCOUNT_TYPES = {domain: wire for wire, domain in ACCOUNT_TYPES.items()}
