"""HTTP API and Kafka consumers of bookings."""
