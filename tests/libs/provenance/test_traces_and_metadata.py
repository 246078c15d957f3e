"""Generator traces and metadata: each file is written here, and each field read back must
be exactly what was written; absent metadata is absent, never a trace."""

from __future__ import annotations

import io

from PIL import Image

from dd_contracts.provenance import ProvenanceReport, SectionState, TraceSource
from dd_fusion.provenance_rules import apply_rules, forced_label
from tests.libs.provenance.conftest import Inspect
from tests.libs.provenance.media import (
    A1111_PARAMETERS,
    COMFY_PROMPT,
    IPTC_DST,
    camera_exif,
    jpeg,
    jpeg_with_iptc,
    jpeg_with_xmp,
    picture,
    png,
    xmp_packet,
)


def test_png_with_a1111_parameters_chunk(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(png(text={"parameters": A1111_PARAMETERS}), "image/png")
    assert len(report.traces) == 1
    trace = report.traces[0]
    assert trace.source is TraceSource.png_text
    assert trace.key == "tEXt:parameters"
    assert trace.tool.startswith("Stable Diffusion web UI")
    assert trace.ai
    assert trace.excerpt.startswith("a photo of an astronaut riding a horse")
    fired = apply_rules(report)
    assert [o.rule_id for o in fired] == ["PROV-GENERATOR-TRACE"]
    assert forced_label(fired) == "fake"
    assert report.compression is not None and report.compression.state is SectionState.skipped


def test_png_with_comfyui_prompt_and_compressed_workflow(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(
        png(text={"prompt": COMFY_PROMPT}, itxt={"workflow": '{"nodes": []}'}), "image/png"
    )
    keys = {t.key: t.tool for t in report.traces}
    assert keys == {"tEXt:prompt": "ComfyUI", "iTXt:workflow": "ComfyUI"}


def test_png_software_chunk_naming_novelai(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(png(text={"Software": "NovelAI", "Title": "x"}), "image/png")
    assert [(t.key, t.tool) for t in report.traces] == [("tEXt:Software", "NovelAI")]


def test_jpeg_with_exif_software_naming_a_generator(inspect_bytes: Inspect) -> None:
    exif = Image.Exif()
    exif[0x0131] = "Midjourney v6.1"
    report = inspect_bytes(jpeg(exif=exif))
    assert report.metadata is not None and report.metadata.exif is SectionState.ok
    assert report.metadata.software == "Midjourney v6.1"
    assert [(t.source, t.key, t.tool) for t in report.traces] == [
        (TraceSource.exif, "EXIF:Software", "Midjourney")
    ]
    assert "PROV-GENERATOR-TRACE" in [o.rule_id for o in apply_rules(report)]


def test_a1111_parameters_in_exif_user_comment(inspect_bytes: Inspect) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + A1111_PARAMETERS.encode()
    report = inspect_bytes(jpeg(exif=exif))
    assert [t.key for t in report.traces] == ["EXIF:UserComment"]


def test_xmp_digital_source_type_trained_algorithmic_media(inspect_bytes: Inspect) -> None:
    body = (
        '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Adobe Firefly Image 3" '
        f'Iptc4xmpExt:DigitalSourceType="{IPTC_DST}trainedAlgorithmicMedia"/>'
    )
    report = inspect_bytes(jpeg_with_xmp(body))
    meta = report.metadata
    assert meta is not None and meta.xmp is SectionState.ok
    assert meta.digital_source_type == "trainedAlgorithmicMedia"
    assert meta.creator_tool == "Adobe Firefly Image 3"
    by_key = {t.key: t for t in report.traces}
    assert by_key["XMP:CreatorTool"].tool == "Adobe Firefly"
    assert by_key["XMP:Iptc4xmpExt:DigitalSourceType"].tool == "Adobe Firefly"
    assert all(t.ai for t in report.traces)


def test_xmp_digital_source_type_as_element_and_edit_history(inspect_bytes: Inspect) -> None:
    body = (
        "<rdf:Description><Iptc4xmpExt:DigitalSourceType>"
        f"{IPTC_DST}compositeWithTrainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
        "<xmpMM:History><rdf:Seq>"
        '<rdf:li stEvt:action="created" stEvt:softwareAgent="Adobe Photoshop 25.0" '
        'stEvt:when="2024-03-01T10:00:00"/>'
        '<rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action>'
        "<stEvt:softwareAgent>GIMP 2.10</stEvt:softwareAgent></rdf:li>"
        "</rdf:Seq></xmpMM:History></rdf:Description>"
    )
    meta = inspect_bytes(jpeg_with_xmp(body)).metadata
    assert meta is not None
    assert meta.digital_source_type == "compositeWithTrainedAlgorithmicMedia"
    assert meta.edit_history == [
        "created by Adobe Photoshop 25.0 at 2024-03-01T10:00:00",
        "saved by GIMP 2.10",
    ]


def test_iptc_originating_program(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(jpeg_with_iptc({65: "DALL-E 3", 80: "A. Person"}))
    meta = report.metadata
    assert meta is not None and meta.iptc is SectionState.ok
    assert meta.software == "DALL-E 3" and meta.artist == "A. Person"
    assert [(t.key, t.tool) for t in report.traces] == [("IPTC:OriginatingProgram", "DALL·E")]


def test_camera_jpeg_with_full_exif(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(jpeg(exif=camera_exif()))
    meta = report.metadata
    assert meta is not None and meta.state is SectionState.ok
    assert meta.make == "Canon"
    assert meta.model == "Canon EOS R5"
    assert meta.lens == "RF24-105mm F4 L IS USM"
    assert meta.capture_time == "2024:05:01 10:20:30"
    assert meta.software == "Firmware 1.8.1"
    assert meta.gps_present is True
    dumped = report.model_dump_json()
    assert "48.0" not in dumped and "51.0" not in dumped  # coordinates never copied
    assert report.traces == []
    assert apply_rules(report) == []


def test_camera_jpeg_without_gps(inspect_bytes: Inspect) -> None:
    meta = inspect_bytes(jpeg(exif=camera_exif(gps=False))).metadata
    assert meta is not None and meta.gps_present is False and meta.make == "Canon"


def test_stripped_image_reports_absent_and_nothing_suspicious(inspect_bytes: Inspect) -> None:
    for data, mime in ((jpeg(), "image/jpeg"), (png(), "image/png")):
        report = inspect_bytes(data, mime)
        assert report.c2pa.state is SectionState.absent
        meta = report.metadata
        assert meta is not None and meta.state is SectionState.absent
        assert (meta.exif, meta.xmp, meta.iptc) == (SectionState.absent,) * 3
        assert meta.make is None and meta.software is None and meta.gps_present is False
        assert report.traces == []
        assert apply_rules(report) == []  # absence is never a rule


def test_quality_and_table_family_as_written(inspect_bytes: Inspect) -> None:
    for quality in (55, 75, 93):
        compression = inspect_bytes(jpeg(quality=quality)).compression
        assert compression is not None and compression.state is SectionState.ok
        assert compression.estimated_quality == quality
        assert compression.table_family == "ijg"
        assert all(t.matches_ijg for t in compression.tables)
        assert compression.subsampling == "4:2:0"


def test_resaved_jpeg_reports_the_new_quality_and_double_compression(
    inspect_bytes: Inspect,
) -> None:
    photo = picture(512, 384)
    first = jpeg(photo, quality=60)
    resaved = jpeg(Image.open(io.BytesIO(first)), quality=90)
    single = inspect_bytes(jpeg(photo, quality=90)).compression
    double = inspect_bytes(resaved).compression
    assert single is not None and double is not None
    assert double.estimated_quality == 90
    assert single.double_compression is False
    assert double.double_compression is True
    assert double.double_compression_score is not None
    assert single.double_compression_score is not None
    assert double.double_compression_score > single.double_compression_score + 0.2
    ids = [o.rule_id for o in apply_rules(inspect_bytes(resaved))]
    assert ids == ["PROV-DOUBLE-JPEG"]


def test_camera_like_custom_tables_are_not_ijg(inspect_bytes: Inspect) -> None:
    flat = [3] * 64  # a table no IJG quality produces
    compression = inspect_bytes(jpeg(qtables=[flat, [4] * 64])).compression
    assert compression is not None
    assert compression.table_family == "custom"
    assert not compression.tables[0].matches_ijg


def test_ela_picture_is_a_png_of_the_reduced_image(inspect_bytes: Inspect) -> None:
    compression = inspect_bytes(jpeg(picture(1024, 768), quality=80)).compression
    assert compression is not None and compression.ela_png is not None
    ela = Image.open(io.BytesIO(compression.ela_png))
    assert ela.format == "PNG" and max(ela.size) <= 512
    assert compression.ela_scale == round(ela.width / 1024, 4)
    # Not serialised inline nor in the schema: the gateway stores it as an artifact.
    assert "ela_png" not in compression.model_dump()
    assert "ela_png" not in type(compression).model_json_schema()["properties"]


def test_png_invokeai_metadata_chunk(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(png(text={"invokeai_metadata": '{"model": "sdxl"}'}), "image/png")
    assert [(t.key, t.tool) for t in report.traces] == [("tEXt:invokeai_metadata", "InvokeAI")]


def test_webp_exif_and_xmp(inspect_bytes: Inspect) -> None:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Firefly"
    buffer = io.BytesIO()
    body = f'<rdf:Description Iptc4xmpExt:DigitalSourceType="{IPTC_DST}algorithmicMedia"/>'
    picture(64, 48).save(buffer, "WEBP", exif=exif, xmp=xmp_packet(body))
    report = inspect_bytes(buffer.getvalue(), "image/webp")
    meta = report.metadata
    assert meta is not None and meta.software == "Adobe Firefly"
    assert meta.digital_source_type == "algorithmicMedia"
    assert {t.key for t in report.traces} == {
        "EXIF:Software",
        "XMP:Iptc4xmpExt:DigitalSourceType",
    }


def test_report_round_trips_through_json(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(jpeg_with_xmp("<rdf:Description xmp:CreatorTool='Midjourney'/>"))
    again = ProvenanceReport.model_validate_json(report.model_dump_json())
    assert again.model_dump() == report.model_dump()  # the ELA bytes travel apart


def test_prose_naming_a_word_that_is_also_a_tool_is_not_a_trace(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(
        png(text={"Description": "a firefly at dusk", "Title": "Sora by the sea"}), "image/png"
    )
    assert report.traces == []
    exif = Image.Exif()
    exif[0x010E] = "Imagen de la playa, gemini season"
    assert inspect_bytes(jpeg(exif=exif)).traces == []


def test_prose_saying_generated_with_a_tool_is_a_trace(inspect_bytes: Inspect) -> None:
    exif = Image.Exif()
    exif[0x010E] = "Portrait, generated with Midjourney v6"
    report = inspect_bytes(jpeg(exif=exif))
    assert [(t.key, t.tool) for t in report.traces] == [("EXIF:ImageDescription", "Midjourney")]


def test_prose_with_a_brand_before_the_tool(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(png(text={"Comment": "Made with Adobe Firefly"}), "image/png")
    assert [(t.key, t.tool, t.ai) for t in report.traces] == [
        ("tEXt:Comment", "Adobe Firefly", True)
    ]
