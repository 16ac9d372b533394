"""A programme of workshops: the needs list, the action plan, its public page and exports."""
