"""The web layer: rendering, contexts shared by pages and pushes, live sockets, errors, views."""
