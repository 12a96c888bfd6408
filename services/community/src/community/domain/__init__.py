"""Pure rules of the community context: no I/O."""
