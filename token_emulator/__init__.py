"""Token emulator: local stand-ins for five vendors' token servers."""

__version__ = "0.1.0"
