"""The store behind the catalogue: offerings and the sites projection."""
