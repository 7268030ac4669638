"""document.pdf: the package's document as PDF, with its Chinese drawn by the CJK font (G13a), or left out saying why."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from compliance import package_pdf
from compliance.packages import PackageWriter, Section, verify_package


def _build(path, *, rows: int = 3):
    writer = PackageWriter(path, kind="inspection", title_zh="调取数据包", title_en="Inspection package",
                           meta={"document_number": "京公网调字〔2026〕12 号"})
    writer.write_csv("data/messages.csv", ["id", "body"], ((i, f"消息 {i}") for i in range(rows)))
    writer.add_section(Section("概况", "Summary", paragraphs=["违法信息处置情况"], headers=["项", "值"],
                               rows=[["用户", 2]]))
    return writer.close()


def _read(path):
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        pdf = archive.read("document.pdf") if "document.pdf" in names else None
        return names, pdf, archive.read("document.html").decode(), json.loads(archive.read("manifest.json"))


def _embedded_fonts(reader: PdfReader) -> list[tuple[str, str]]:
    """(BaseFont, family name read from the embedded font program itself) of every font the PDF embeds."""
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)
            descriptor = descriptor["/FontDescriptor"].get_object()
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            family = TTFont(io.BytesIO(program.get_object().get_data()))["name"].getDebugName(1)
            found.append((str(font["/BaseFont"]), family))
    return found


@pytest.mark.clause("G13a")
def test_the_pdf_holds_the_documents_chinese_in_the_cjk_font_and_the_manifest_covers_it(tmp_path):
    manifest = _build(tmp_path / "p.zip")
    names, pdf, html, stored = _read(tmp_path / "p.zip")
    assert "document.pdf" in names and pdf is not None and pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for phrase in ("调取数据包", "京公网调字", "违法信息处置情况", "Inspection package"):
        assert phrase in text
    fonts = _embedded_fonts(PdfReader(io.BytesIO(pdf)))
    assert fonts and all(family == "WenQuanYi Micro Hei" for _, family in fonts), fonts
    assert any("WenQuanYi-Micro-Hei" in base for base, _ in fonts)
    listed = {f["name"]: f for f in manifest["files"]}
    assert listed["document.pdf"]["size"] == len(pdf)
    assert stored["document"] == {"html": "document.html", "pdf": "document.pdf"}
    assert "document.pdf" in html and "No PDF" not in html
    result = verify_package(tmp_path / "p.zip")
    assert result.ok, result.problems
    assert result.files_checked == 3


@pytest.mark.clause("G13a")
def test_without_the_cjk_font_there_is_no_pdf_and_the_package_says_why(tmp_path, settings, caplog):
    settings.PACKAGE_PDF_FONT = str(tmp_path / "missing.ttc")
    with caplog.at_level(logging.WARNING, logger="compliance.package_pdf"):
        _build(tmp_path / "p.zip")
    names, pdf, html, manifest = _read(tmp_path / "p.zip")
    assert pdf is None and "document.pdf" not in names | {f["name"] for f in manifest["files"]}
    assert manifest["document"]["pdf"] is None
    assert "is not installed" in manifest["document"]["pdf_omitted"]
    assert "No PDF" in html and "missing.ttc" in html
    assert any("missing.ttc" in r.getMessage() for r in caplog.records)
    assert verify_package(tmp_path / "p.zip").ok


def test_a_font_without_chinese_glyphs_never_makes_a_pdf_of_empty_boxes(tmp_path, settings):
    from fontTools import subset

    latin = TTFont(str(package_pdf.font_path()), fontNumber=0)  # the CJK font cut down to ASCII: a real font file
    cutter = subset.Subsetter()
    cutter.populate(unicodes=range(0x20, 0x7F))
    cutter.subset(latin)
    latin.save(tmp_path / "latin.ttf")
    settings.PACKAGE_PDF_FONT = str(tmp_path / "latin.ttf")
    _build(tmp_path / "p.zip")
    _, pdf, html, manifest = _read(tmp_path / "p.zip")
    assert pdf is None
    assert "lacks" in manifest["document"]["pdf_omitted"] and "No PDF" in html


def test_a_document_past_the_size_limit_is_not_rendered(tmp_path, monkeypatch):
    monkeypatch.setattr(package_pdf, "MAX_HTML_BYTES", 1000)
    _build(tmp_path / "p.zip")
    _, pdf, _, manifest = _read(tmp_path / "p.zip")
    assert pdf is None and "too large" in manifest["document"]["pdf_omitted"]


def test_the_pdf_loads_its_font_and_nothing_else_a_document_might_name(tmp_path):
    from PIL import Image

    secret = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), "red").save(secret)
    result = package_pdf.render(f'<html><body><p>中文</p><img src="{secret.as_uri()}"></body></html>')
    assert result.pdf is not None
    page = PdfReader(io.BytesIO(result.pdf)).pages[0]
    assert "中文" in page.extract_text()
    assert not page["/Resources"].get("/XObject")  # the image, had it been loaded, would be one
