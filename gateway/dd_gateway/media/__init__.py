"""Uploaded media: streamed to disk, sniffed, checked against the shared limits, served."""
