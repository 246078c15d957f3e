"""Known content generators: the names AI image tools (and a few editors) write into
EXIF Software, XMP CreatorTool, PNG text chunks and C2PA software agents.

Matching is a case-insensitive search for each pattern (word-bounded), so
"Adobe Firefly 3" and "firefly" both name Adobe Firefly. ``ai`` marks generative tools;
plain editors are listed so that we can name them without calling them a generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dd_contracts.provenance import AI_SOURCE_TYPES, CAPTURE_SOURCE_TYPES

__all__ = ["AI_SOURCE_TYPES", "CAPTURE_SOURCE_TYPES", "GENERATORS", "Generator", "match_generator"]


@dataclass(frozen=True)
class Generator:
    tool: str
    patterns: tuple[str, ...]
    ai: bool = True


GENERATORS: tuple[Generator, ...] = (
    Generator(
        "Stable Diffusion",
        (
            "stable diffusion",
            "stable-diffusion",
            "stablediffusion",
            "sdxl",
            "sd-webui",
            "automatic1111",
            "stability ai",
        ),
    ),
    Generator("ComfyUI", ("comfyui",)),
    Generator("InvokeAI", ("invokeai", "invoke ai")),
    Generator("NovelAI", ("novelai", "novel ai")),
    Generator("Fooocus", ("fooocus",)),
    Generator("Midjourney", ("midjourney",)),
    Generator("DALL·E", ("dall-e", "dall·e", "dalle", "dall e")),
    Generator("OpenAI", ("openai", "chatgpt", "gpt-4o", "gpt-image")),
    Generator("Adobe Firefly", ("firefly",)),
    Generator("Google Imagen", ("google imagen", "imagen 2", "imagen 3", "imagen 4")),
    Generator("Google Gemini", ("gemini",)),
    Generator("Flux", ("flux.1", "flux-1", "black forest labs")),
    Generator("Leonardo.Ai", ("leonardo.ai", "leonardo ai")),
    Generator("Ideogram", ("ideogram",)),
    Generator("Playground AI", ("playground ai", "playgroundai")),
    Generator("DreamStudio", ("dreamstudio",)),
    Generator("Craiyon", ("craiyon",)),
    Generator(
        "Bing Image Creator",
        ("bing image creator", "image creator from microsoft", "microsoft designer"),
    ),
    Generator("Runway", ("runwayml", "runway gen")),
    Generator("Sora", ("sora",)),
    Generator("Kling", ("kling",)),
    Generator("Pika", ("pika labs",)),
    Generator("Synthesia", ("synthesia",)),
    Generator("HeyGen", ("heygen",)),
    Generator("DeepFaceLab", ("deepfacelab",)),
    Generator("FaceSwap", ("faceswap",)),
    Generator("ElevenLabs", ("elevenlabs",)),
    Generator("Diffusers", ("diffusers",)),
    # Editors: named, never counted as generators by themselves.
    Generator("Adobe Photoshop", ("photoshop",), ai=False),
    Generator("Adobe Lightroom", ("lightroom",), ai=False),
    Generator("GIMP", ("gimp",), ai=False),
)

_COMPILED = tuple(
    (
        gen,
        re.compile(
            r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, gen.patterns)) + r")(?![a-z])",
            re.IGNORECASE,
        ),
    )
    for gen in GENERATORS
)


# In free text (a description, a comment) a generator's name must come with a verb of
# making: "a firefly at dusk" is not Adobe Firefly, "generated with Firefly" is.
_MADE_WITH = re.compile(
    r"(?:generated|created|made|rendered|produced|painted|drawn|edited|written|saved|exported)"
    r"\s+(?:with|by|using|in|on|via)\s+(?:[\w.-]{1,20}\s+){0,2}$",  # "with Adobe Firefly"
    re.IGNORECASE,
)


def match_generator(text: str, *, limit: int = 4096, free_text: bool = False) -> Generator | None:
    """The first known generator named in ``text`` (searched up to ``limit`` chars).

    ``free_text``: the field is prose written by a person (description, comment, title),
    not a tool field (Software, CreatorTool); the name must follow "generated with" & co.
    """
    sample = text[:limit]
    for gen, pattern in _COMPILED:
        for match in pattern.finditer(sample):
            if not free_text:
                return gen
            if _MADE_WITH.search(sample[max(0, match.start() - 40) : match.start()]):
                return gen
    return None


def source_type_term(value: str) -> str:
    """The IPTC term of a digital source type URI (or the value itself)."""
    value = value.strip()
    return value.rstrip("/").rsplit("/", 1)[-1]
