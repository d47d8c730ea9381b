"""The write side of Techbank: bank-account commands become events in the event store."""
