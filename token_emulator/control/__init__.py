"""The control plane under /_emulator/: health, reset, clock, journal, state, dashboard."""
