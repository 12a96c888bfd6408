"""What the pages do: the live feed of a site."""
