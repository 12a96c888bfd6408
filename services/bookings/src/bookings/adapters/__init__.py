"""The store behind bookings: aggregates, seat counters and projections."""
