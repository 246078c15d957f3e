"""Analyses: upload, queue, run, store, and everything read back about them."""
