"""ParkGrid bookings: bookings of offerings, seats, waitlists and entitlements."""
