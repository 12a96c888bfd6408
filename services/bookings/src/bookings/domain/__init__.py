"""Pure rules of bookings: no I/O."""
