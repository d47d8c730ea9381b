"""The gRPC edge of both servers: serving, auth, limits, errors, health, reflection."""
