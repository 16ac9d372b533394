"""Thin request handlers, grouped by audience; each reads a form, calls a use case, renders."""
