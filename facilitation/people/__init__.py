"""Who takes part: profile questions, the room against the place, results split by group."""
