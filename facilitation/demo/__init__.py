"""Made-up data for `facilitation demo`: an estate's workshop, its history, people and a pool."""
