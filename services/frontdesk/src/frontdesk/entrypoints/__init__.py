"""Pages, the live stream and the Kafka consumer."""
