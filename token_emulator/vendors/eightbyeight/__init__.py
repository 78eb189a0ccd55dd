"""8x8 Video Interaction: an API key buys auth tokens and 15-minute rooms; agents log
in through the iframe URL, guests follow the guest link, reporting reads call logs.

client.py is what a client sends (light); server.py, what the emulator serves. What
the vendor publishes, and what the emulator chose where it is silent: docs/vendors/eightbyeight.md.
"""
