"""The store side of the community context: aggregates, projections, seats, tickets."""
