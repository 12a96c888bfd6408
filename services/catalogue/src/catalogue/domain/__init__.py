"""Pure rules of offerings: no I/O."""
