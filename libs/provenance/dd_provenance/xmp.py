"""XMP: the few properties provenance needs, pulled out with bounded regular expressions.

Why not an XML parser: XMP in hostile files comes with entity tricks and huge packets;
we only need a dozen properties, each either an attribute (``ns:Prop="v"``) or a simple
element (``<ns:Prop>v</ns:Prop>``). Every quantifier is bounded, the packet size is
capped before we look at it, and no entity is ever expanded.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from dd_provenance.errors import Unreadable

_MAX_VALUE = 2000
_MAX_HISTORY = 32


def _prop_pattern(name: str) -> re.Pattern[str]:
    # attribute form, element form (maybe wrapping one rdf:li), or rdf:resource.
    n = _MAX_VALUE
    attribute = rf"""\s*=\s*["']([^"'<]{{0,{n}}})["']"""
    element = rf"|>\s*(?:<rdf:(?:Alt|Seq|Bag)>\s*<rdf:li[^>]{{0,200}}>)?([^<]{{0,{n}}})<"
    resource = rf"""|\s+rdf:resource\s*=\s*["']([^"']{{0,{n}}})["']"""
    return re.compile(
        r"(?<![\w:])(?:[\w-]{1,40}:)?" + name + "(?:" + attribute + element + resource + ")"
    )


_PROPS = {
    "creator_tool": _prop_pattern("CreatorTool"),
    "digital_source_type": _prop_pattern("DigitalSourceType"),
    "make": _prop_pattern("Make"),
    "model": _prop_pattern("Model"),
    "lens": _prop_pattern("(?:LensModel|Lens)"),
    "date_original": _prop_pattern("DateTimeOriginal"),
    "date_created": _prop_pattern("DateCreated"),
    "software": _prop_pattern("Software"),
    "gps": _prop_pattern("GPSLatitude"),
    "provenance": _prop_pattern("provenance"),
}
_LI = re.compile(r"<rdf:li\b([^>]{0,4000}?)(?:/>|>(.{0,4000}?)</rdf:li>)", re.DOTALL)
_HISTORY_FIELD = {
    name: _prop_pattern(name) for name in ("action", "softwareAgent", "when", "changed")
}


@dataclass
class XmpData:
    props: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    for match in pattern.finditer(text):
        value = next((g for g in match.groups() if g), None)
        if value and value.strip():
            return html.unescape(value.strip())
    return None


def read_xmp(packet: bytes, *, max_bytes: int) -> XmpData:
    if len(packet) > max_bytes:
        raise Unreadable(f"XMP packet of {len(packet)} bytes exceeds the {max_bytes}-byte limit")
    text = packet.decode("utf-8", errors="replace")
    if "<!ENTITY" in text:
        raise Unreadable("XMP packet declares XML entities (refused)")
    data = XmpData()
    for key, pattern in _PROPS.items():
        value = _first(pattern, text)
        if value is not None:
            data.props[key] = value
    history_start = text.find("History")
    if history_start >= 0:
        for match in _LI.finditer(text, history_start):
            chunk = (match.group(1) or "") + ">" + (match.group(2) or "")
            action = _first(_HISTORY_FIELD["action"], chunk)
            if action is None:
                continue
            agent = _first(_HISTORY_FIELD["softwareAgent"], chunk)
            when = _first(_HISTORY_FIELD["when"], chunk)
            entry = action + (f" by {agent}" if agent else "") + (f" at {when}" if when else "")
            data.history.append(entry[:300])
            if len(data.history) >= _MAX_HISTORY:
                break
    return data


_REMOTE_LIMIT = 256 * 1024


def remote_manifest_url(packet: bytes) -> str | None:
    """The remote C2PA manifest an XMP packet points to (dcterms:provenance), if any.

    Only the packet's first 256 KiB are searched: the reference sits in the main packet.
    """
    text = packet[:_REMOTE_LIMIT].decode("utf-8", errors="replace")
    if "provenance" not in text:
        return None
    value = _first(_PROPS["provenance"], text)
    return value if value and value.startswith(("http://", "https://")) else None
