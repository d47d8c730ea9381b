"""Adapters of the core's and the bank's ports to real infrastructure, one folder per
technology (grpc, kafka, mongo, sql, sqlite, telemetry), chosen from the settings in one
place (adapters.factories).
"""
