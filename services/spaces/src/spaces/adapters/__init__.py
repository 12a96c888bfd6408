"""Stores of sites, spaces, calendars and reservations."""
