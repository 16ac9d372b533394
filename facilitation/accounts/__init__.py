"""Facilitator accounts: passwords, sign-ins and who may do what."""
