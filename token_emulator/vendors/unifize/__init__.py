"""Unifize: an RS256 client assertion buys an access token that opens protected calls.

client.py is what a client sends (light); server.py, what the emulator serves. What
the vendor publishes, and what the emulator chose where it is silent: docs/vendors/unifize.md.
"""
