"""Provenance and file forensics: what the file itself says, read without any model.

    from dd_provenance import inspect, ProvenanceSettings
    report = inspect(path, "image", "image/jpeg", settings=ProvenanceSettings.from_env())

See README.md for the sections, the bounds and the fusion rules.
"""

from dd_provenance.inspector import inspect
from dd_provenance.settings import ProvenanceSettings

# The artifact name the gateway stores the ELA picture under.
ELA_ARTIFACT = "ela.png"

__all__ = ["ELA_ARTIFACT", "ProvenanceSettings", "inspect"]
