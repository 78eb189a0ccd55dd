"""UneeQ: an HS256 request JWT buys a single-use token that the browser SDK redeems.

client.py is what a client sends (light); server.py, what the emulator serves. What
the vendor publishes, and what the emulator chose where it is silent: docs/vendors/uneeq.md.
"""
