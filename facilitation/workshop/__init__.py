"""The live workshop's use cases: options, rounds, ballots, the idea desk, paper, exports."""
