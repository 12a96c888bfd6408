"""ParkGrid catalogue service: the service grid of the network (port 8001)."""
