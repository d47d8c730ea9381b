"""Starting Techbank's servers and processes for the tests and the bench: the real
stack's scratch databases and topics (`stack`), server processes (`processes`), a
whole system on either stack (`system`). Not part of the installed package."""
