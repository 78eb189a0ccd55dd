"""web1on1: password and refresh-token logins, API keys, and resources behind a permission table.

client.py is what a client sends (light); server.py, what the emulator serves. What
the vendor publishes, and what the emulator chose where it is silent: docs/vendors/web1on1.md.
"""
