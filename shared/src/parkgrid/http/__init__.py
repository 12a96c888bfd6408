"""HTTP conventions shared by every ParkGrid API (see DESIGN.md, HTTP API conventions)."""
