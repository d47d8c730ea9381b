"""The bank's shared kernel: the words all three services use, in one home each.

`bank.account` and `bank.transfer` are the aggregates with every business rule,
`bank.events` what can happen and be asked; `bank.wire` how all of it looks in protobuf
(events, snapshots, enums, the framed answers, how events evolved); `bank.read_model`,
`bank.read_rows` and `bank.account_reader` are the read model's ports and the rows events
make. It imports only the core; the services and the adapters import it.
"""
