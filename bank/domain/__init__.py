"""The bank-account aggregate, its commands and its events: plain Python, no I/O."""
