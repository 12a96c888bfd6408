"""HTTP API and Kafka consumers of the community context."""
