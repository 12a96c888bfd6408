"""HTTP API and Kafka consumers of spaces."""
