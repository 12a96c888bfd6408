"""Command and event handlers of the community context."""
