"""A small CQRS and event-sourcing framework: aggregates, an event store, a bus, a mediator.

It knows nothing of any business domain and imports only the standard library.
"""
