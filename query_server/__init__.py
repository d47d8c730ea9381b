"""The query side: answers questions about accounts from the read model over gRPC."""
