"""Round kinds: the registry and one module per kind (how its ballots are read and counted)."""
