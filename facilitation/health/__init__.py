"""The PACT health check: its statements, the ready-made rating round and the trend over time."""
