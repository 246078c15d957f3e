"""The gateway: what users and their scripts talk to."""

__version__ = "0.1.0"
