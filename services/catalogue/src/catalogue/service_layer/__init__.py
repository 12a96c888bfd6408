"""Command and event handlers of the catalogue."""
