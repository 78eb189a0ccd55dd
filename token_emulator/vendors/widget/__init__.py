"""Kataven widget: client keys with Origin allowlists, visitor tokens, session JWTs.

client.py is what a client sends (light); server.py, what the emulator serves. What
the vendor publishes, and what the emulator chose where it is silent: docs/vendors/widget.md.
"""
