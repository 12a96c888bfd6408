"""HTTP API and Kafka consumers of the catalogue."""
