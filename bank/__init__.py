"""The bank's shared kernel: the words all three services use, in one home each.

`bank.domain` is the BankAccount aggregate with its commands, events and rules;
`bank.wire` maps the protobuf contract's enums to the domain's; `adapters.sql.read_schema`
is the read model's tables, which the projector writes and the query server reads.
The services import this package; it imports none of them.
"""
