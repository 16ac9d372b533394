"""The panel lottery: volunteer pools, quotas, the lottery itself, draws and their exports."""
