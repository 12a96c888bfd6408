"""ParkGrid spaces: where members work, meet and gather (DESIGN.md, port 8003)."""
