"""Commands of the spaces context, over the adapters."""
