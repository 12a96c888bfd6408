"""ParkGrid's published contracts: topics and integration events of every context."""
