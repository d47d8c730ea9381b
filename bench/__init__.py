"""`python -m bench`: throughput and latency of the running system, over gRPC, per stack."""
