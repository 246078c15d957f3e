"""Media the provenance tests write themselves: signed, traced, camera-like and hostile.

Nothing here is a stored fixture: every file is made from scratch by the test that needs
it, so each field checked is a field the test wrote.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zlib
from dataclasses import dataclass

import c2pa
import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from PIL.PngImagePlugin import PngInfo

IPTC_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@dataclass(frozen=True)
class SigningChain:
    ca_pem: str
    chain_pem: bytes  # signer certificate, then the CA
    key_pem: bytes
    signer_name: str
    issuer_org: str


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )


def _key_usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_chain(signer_name: str = "DD Test Generator", org: str = "DD Test CA") -> SigningChain:
    """A throw-away CA and a C2PA-acceptable signer under it (P-256, ES256).

    C2PA asks of the signer: not a CA, digitalSignature key usage, an accepted EKU
    (emailProtection here), key identifiers; and a chain to a CA we then trust.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{org} Root", org)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name, org))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return SigningChain(
        ca_pem=ca.public_bytes(pem).decode(),
        chain_pem=leaf.public_bytes(pem) + ca.public_bytes(pem),
        key_pem=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        signer_name=signer_name,
        issuer_org=org,
    )


def sign_jpeg(
    jpeg: bytes, chain: SigningChain, source_type: str, *, agent: str = "DD Diffusion 1.0"
) -> bytes:
    """``jpeg`` with an embedded C2PA manifest: one c2pa.created action of ``source_type``."""
    manifest = {
        "claim_generator_info": [{"name": "dd-test-generator", "version": "1.0"}],
        "title": "generated.jpg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": IPTC_DST + source_type,
                            "softwareAgent": {"name": agent},
                        }
                    ]
                },
            }
        ],
    }
    info = c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=chain.chain_pem, private_key=chain.key_pem, ta_url=None
    )
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest, context) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(jpeg), out)
    return out.getvalue()


def picture(width: int = 256, height: int = 192, seed: int = 0) -> Image.Image:
    """A smooth, photo-like picture (gradients plus mild noise), deterministic."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [
            128 + 90 * np.sin(x / 23.0) * np.cos(y / 31.0),
            128 + 70 * np.cos(x / 17.0 + y / 29.0),
            96 + 0.4 * x - 0.2 * y,
        ],
        axis=-1,
    )
    noisy = base + rng.normal(0, 6, base.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def jpeg(image: Image.Image | None = None, quality: int = 90, **save_args: object) -> bytes:
    buffer = io.BytesIO()
    if "qtables" not in save_args:  # Pillow lets a quality override given tables
        save_args["quality"] = quality
    (image or picture()).save(buffer, "JPEG", **save_args)
    return buffer.getvalue()


def camera_exif(
    *,
    make: str = "Canon",
    model: str = "Canon EOS R5",
    software: str | None = "Firmware 1.8.1",
    lens: str = "RF24-105mm F4 L IS USM",
    taken: str = "2024:05:01 10:20:30",
    gps: bool = True,
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    if software is not None:
        exif[0x0131] = software
    exif[0x0132] = taken
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = taken
    sub[0xA434] = lens
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[0x0001] = "N"
        gps_ifd[0x0002] = (48.0, 51.0, 24.0)
        gps_ifd[0x0003] = "E"
        gps_ifd[0x0004] = (2.0, 21.0, 3.0)
    return exif


def insert_segment(jpeg_bytes: bytes, marker: int, payload: bytes) -> bytes:
    """``jpeg_bytes`` with one more APPn segment right after SOI."""
    assert len(payload) + 2 <= 0xFFFF
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg_bytes[:2] + segment + jpeg_bytes[2:]


def xmp_packet(body: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'{body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def jpeg_with_xmp(body: str, base: bytes | None = None) -> bytes:
    return insert_segment(
        base or jpeg(), 0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(body)
    )


def jpeg_with_iptc(datasets: dict[int, str], base: bytes | None = None) -> bytes:
    iim = b"".join(
        b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(v.encode())) + v.encode()
        for number, v in datasets.items()
    )
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim))
    resource += iim + (b"\x00" if len(iim) % 2 else b"")
    return insert_segment(base or jpeg(), 0xED, b"Photoshop 3.0\x00" + resource)


def png(text: dict[str, str] | None = None, itxt: dict[str, str] | None = None) -> bytes:
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    for key, value in (itxt or {}).items():
        info.add_itxt(key, value, zip=True)
    buffer = io.BytesIO()
    picture(128, 96).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def png_chunk(ctype: bytes, body: bytes, declared: int | None = None) -> bytes:
    length = len(body) if declared is None else declared
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", length) + ctype + body + struct.pack(">I", crc)


def png_insert(png_bytes: bytes, chunk: bytes) -> bytes:
    """``png_bytes`` with ``chunk`` after IHDR (signature 8 + IHDR 25 bytes)."""
    return png_bytes[:33] + chunk + png_bytes[33:]


def tiff_exif(entries: list[tuple[int, int, int, bytes]], next_ifd: int = 0) -> bytes:
    """A little-endian TIFF block with IFD0 at offset 8: raw (tag, type, count, 4-byte value)."""
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\x00")
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", next_ifd)


def jpeg_with_raw_exif(tiff: bytes, base: bytes | None = None) -> bytes:
    return insert_segment(base or jpeg(), 0xE1, b"Exif\x00\x00" + tiff)


A1111_PARAMETERS = (
    "a photo of an astronaut riding a horse\nNegative prompt: blurry\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 512x512, "
    "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly"
)
COMFY_PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}}})
