"""Keeps the read database up to date from the account events on the bus."""
