"""C2PA content credentials, read and validated by the official c2pa-python library.

The native reader runs in a worker thread bounded by ``c2pa_timeout_s``; files over
``c2pa_max_bytes`` are not handed to it. Remote manifests are never fetched unless
``allow_remote_manifests`` is set. The library's validation state is mapped so that an
invalid manifest can never read as valid:

    Trusted                      -> valid
    Valid (crypto ok, untrusted) -> untrusted_signer
    Invalid + a hash mismatch    -> tampered
    Invalid + signature/cert     -> invalid_signature
    Invalid (anything else)      -> invalid
    no state given               -> never 'valid': judged from the failure codes
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import c2pa

from dd_contracts.provenance import (
    C2paAction,
    C2paIngredient,
    C2paReport,
    C2paValidation,
    SectionState,
    ValidationCode,
)
from dd_provenance.budget import run_bounded
from dd_provenance.errors import Unreadable
from dd_provenance.generators import source_type_term
from dd_provenance.settings import ProvenanceSettings

_MAX_ITEMS = 64
_MAX_TEXT = 300


@functools.lru_cache(maxsize=8)
def _context(allow_remote: bool, anchors: str | None) -> c2pa.Context:
    config: dict[str, Any] = {
        "verify": {
            "remote_manifest_fetch": allow_remote,
            "ocsp_fetch": False,
            "verify_trust": True,
        },
    }
    if anchors:
        config["trust"] = {"user_anchors": anchors}
    return c2pa.Context.from_dict(config)


def _short(value: object) -> str | None:
    if value is None:
        return None
    return str(value)[:_MAX_TEXT]


def read_c2pa(path: Path, mime: str, settings: ProvenanceSettings, timeout_s: float) -> C2paReport:
    size = path.stat().st_size
    if size > settings.c2pa_max_bytes:
        return C2paReport(
            state=SectionState.skipped,
            reason=f"file of {size} bytes is over the {settings.c2pa_max_bytes}-byte limit "
            "for content-credential validation",
        )
    context = _context(settings.allow_remote_manifests, settings.trust_anchors())

    def load() -> tuple[str | None, bool, str | None]:
        with path.open("rb") as stream:
            reader = c2pa.Reader.try_create(mime, stream, None, context)
            if reader is None:
                return None, True, None
            with reader:
                return reader.json(), reader.is_embedded(), reader.get_remote_url()

    try:
        manifest_json, embedded, remote_url = run_bounded(load, timeout_s, "C2PA validation")
    except Unreadable as exc:
        return C2paReport(state=SectionState.unreadable, reason=str(exc))
    except c2pa.C2paError as exc:
        text = f"{type(exc).__name__}: {exc}"
        if "Remote" in type(exc).__name__ or "remote" in str(exc).lower():
            return C2paReport(
                state=SectionState.skipped,
                reason="the file points to a remote manifest; remote manifests are not "
                "fetched (allow_remote_manifests is off)",
            )
        if "NotSupported" in type(exc).__name__:
            return C2paReport(
                state=SectionState.skipped,
                reason=_short(f"content credentials are not read for {mime}"),
            )
        return C2paReport(state=SectionState.unreadable, reason=_short(text))
    if manifest_json is None:
        return C2paReport(state=SectionState.absent)
    try:
        store = json.loads(manifest_json)
        return _report(store, embedded, remote_url)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return C2paReport(
            state=SectionState.unreadable, reason=_short(f"unexpected manifest store: {exc}")
        )


def _codes(items: object) -> list[ValidationCode]:
    if not isinstance(items, list):
        return []
    return [
        ValidationCode(code=str(item.get("code")), explanation=_short(item.get("explanation")))
        for item in items[:_MAX_ITEMS]
        if isinstance(item, dict) and item.get("code")
    ]


def classify(state: str | None, failures: list[ValidationCode]) -> C2paValidation:
    codes = [f.code for f in failures]
    if state == "Trusted" and not codes:
        return C2paValidation.valid
    real_failures = [c for c in codes if c != "signingCredential.untrusted"]
    if state in ("Valid", "Trusted") and not real_failures:
        return C2paValidation.untrusted_signer
    if any("mismatch" in c and ("hash" in c.lower() or "Hash" in c) for c in real_failures):
        return C2paValidation.tampered
    if any(c.startswith(("claimSignature.", "signingCredential.")) for c in real_failures):
        return C2paValidation.invalid_signature
    if real_failures or state == "Invalid":
        return C2paValidation.invalid
    # No state and no failure: the library did not vouch for it; never call it valid.
    return C2paValidation.untrusted_signer


def _agent(value: object) -> str | None:
    if isinstance(value, dict):
        name = value.get("name")
        version = value.get("version")
        return _short(f"{name} {version}" if name and version else name)
    return _short(value)


def _report(store: dict[str, Any], embedded: bool, remote_url: str | None) -> C2paReport:
    manifests = store.get("manifests") or {}
    label = store.get("active_manifest")
    active = manifests.get(label) if label else None
    results = store.get("validation_results") or {}
    failures = _codes((results.get("activeManifest") or {}).get("failure"))
    if not failures:
        failures = _codes(store.get("validation_status"))
    validation = classify(store.get("validation_state"), failures)
    report = C2paReport(
        state=SectionState.ok,
        validation=validation,
        embedded=embedded,
        remote_url=_short(remote_url),
        manifest_label=_short(label),
        manifests=len(manifests),
        failures=failures,
        trust_list=_short(results.get("trustListUri")),
    )
    if not isinstance(active, dict):
        report.reason = "no active manifest in the store"
        return report
    signature = active.get("signature_info") or {}
    report.signer_subject = _short(signature.get("common_name"))
    report.signer_issuer = _short(signature.get("issuer"))
    report.signature_alg = _short(signature.get("alg"))
    report.signed_at = _short(signature.get("time"))
    report.title = _short(active.get("title"))
    generator = active.get("claim_generator")
    if not generator:
        infos = active.get("claim_generator_info") or []
        generator = _agent(infos[0]) if infos else None
    report.claim_generator = _short(generator)
    source_types: list[str] = []
    for assertion in (active.get("assertions") or [])[:_MAX_ITEMS]:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in ((assertion.get("data") or {}).get("actions") or [])[:_MAX_ITEMS]:
            term = action.get("digitalSourceType")
            term = source_type_term(str(term)) if term else None
            if term and term not in source_types:
                source_types.append(term)
            report.actions.append(
                C2paAction(
                    action=str(action.get("action", "?"))[:_MAX_TEXT],
                    digital_source_type=term,
                    software_agent=_agent(action.get("softwareAgent")),
                    when=_short(action.get("when")),
                )
            )
    report.digital_source_types = source_types
    for ingredient in (active.get("ingredients") or [])[:_MAX_ITEMS]:
        ingredient_failures = _codes(
            ((ingredient.get("validation_results") or {}).get("activeManifest") or {}).get(
                "failure"
            )
        ) or _codes(ingredient.get("validation_status"))
        report.ingredients.append(
            C2paIngredient(
                title=_short(ingredient.get("title")),
                format=_short(ingredient.get("format")),
                relationship=_short(ingredient.get("relationship")),
                validation=classify(None, ingredient_failures) if ingredient_failures else None,
            )
        )
    return report
