"""Readiness (liveness, /healthz, comes from the service kit)."""
