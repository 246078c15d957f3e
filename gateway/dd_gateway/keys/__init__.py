"""API keys: storage, the CLI (python -m dd_gateway.keys) and authentication."""

from dd_gateway.keys.store import ApiKey, KeyStore, hash_token

__all__ = ["ApiKey", "KeyStore", "hash_token"]
