"""The dashboard (built SPA) served at /, and the headers every HTML answer carries."""
