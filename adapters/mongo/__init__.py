"""The event store and parked events on MongoDB (PyMongo's asyncio API; FerretDB here)."""
