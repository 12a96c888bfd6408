"""Pure rules of sites, spaces and reservations: no I/O."""
