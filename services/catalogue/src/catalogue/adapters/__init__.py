"""The store behind the catalogue: offerings and their search entries, the kit's sites and members."""
