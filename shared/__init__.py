"""wirewatch shared library: settings, messages, Kafka runtime, Redis, metrics, logging."""
