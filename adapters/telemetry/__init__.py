"""What each process tells about itself: Prometheus metrics, OpenTelemetry traces, logs."""
