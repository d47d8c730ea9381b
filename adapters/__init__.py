"""Adapters of the core's ports to real infrastructure, and gRPC plumbing shared by the servers.

Nothing here knows about any business domain.
"""
