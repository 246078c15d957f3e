"""IPTC IIM inside Photoshop image resources (JPEG APP13), bounded.

Only a few datasets matter here: 2:65 OriginatingProgram, 2:70 ProgramVersion, 2:80
By-line, 2:55 DateCreated. (The IPTC digital source type lives in XMP, see xmp.py.)
"""

from __future__ import annotations

import struct

from dd_provenance.errors import Unreadable

_DATASETS = {65: "OriginatingProgram", 70: "ProgramVersion", 80: "Byline", 55: "DateCreated"}
_MAX_RESOURCES = 256
_MAX_DATASETS = 1024


def read_iptc(resources: bytes) -> dict[str, str]:
    iim = _find_iim(resources)
    if iim is None:
        return {}
    fields: dict[str, str] = {}
    pos = 0
    for _ in range(_MAX_DATASETS):
        if pos + 5 > len(iim) or iim[pos] != 0x1C:
            break
        record, dataset, size = (
            iim[pos + 1],
            iim[pos + 2],
            struct.unpack(">H", iim[pos + 3 : pos + 5])[0],
        )
        if size & 0x8000:
            raise Unreadable("IPTC extended-length datasets are not read")
        end = pos + 5 + size
        if end > len(iim):
            raise Unreadable(f"IPTC dataset {record}:{dataset} runs past its block")
        if record == 2 and dataset in _DATASETS:
            fields.setdefault(_DATASETS[dataset], iim[pos + 5 : end].decode("utf-8", "replace"))
        pos = end
    return fields


def _find_iim(resources: bytes) -> bytes | None:
    pos = 0
    for _ in range(_MAX_RESOURCES):
        if pos + 12 > len(resources) or resources[pos : pos + 4] != b"8BIM":
            return None
        (res_id,) = struct.unpack(">H", resources[pos + 4 : pos + 6])
        name_len = resources[pos + 6]
        name_total = name_len + 1 + ((name_len + 1) & 1)  # Pascal string padded to even
        size_at = pos + 6 + name_total
        if size_at + 4 > len(resources):
            raise Unreadable("Photoshop resource header runs past its block")
        (size,) = struct.unpack(">I", resources[size_at : size_at + 4])
        start = size_at + 4
        if start + size > len(resources):
            raise Unreadable(f"Photoshop resource 0x{res_id:04X} runs past its block")
        if res_id == 0x0404:
            return resources[start : start + size]
        pos = start + size + (size & 1)
    return None
