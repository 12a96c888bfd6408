"""Clients of the four services and the frontdesk's one projection."""
