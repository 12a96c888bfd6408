"""Command and event handlers of bookings."""
