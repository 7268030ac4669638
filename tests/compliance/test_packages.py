"""The one package format: ZIP + document + JSON/CSV + manifest of SHA-256 + Ed25519 signature (G13a, G11, G7a)."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from django.core.management.base import CommandError

from compliance.packages import PackageWriter, Section, verify_package


def _build(path):
    writer = PackageWriter(path, kind="inspection", title_zh="调取数据包", title_en="Inspection package",
                           meta={"document_number": "京公网调字〔2026〕12 号"})
    writer.write_json("data/summary.json", {"users": 2, "群": "测试"})
    n_csv = writer.write_csv("data/messages.csv", ["id", "body"], ((i, f"消息 {i}") for i in range(100)))
    n_json = writer.write_json_array("data/messages.json", ({"id": i, "body": f"消息 {i}"} for i in range(100)))
    writer.add_section(Section("概况", "Summary", paragraphs=["两名用户"], headers=["项", "值"], rows=[["用户", 2]]))
    manifest = writer.close()
    return manifest, n_csv, n_json


def _rewrite(src, dst, change):
    """Copy a package, passing each member's bytes through ``change(name, data)`` (as a forger with a ZIP tool would:
    the archive's own signature is lost, so each test also checks the finer problem it is about)."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))


@pytest.mark.clause("G13a")
def test_a_package_lists_every_file_with_its_sha256_and_verifies(tmp_path):
    manifest, n_csv, n_json = _build(tmp_path / "p.zip")
    assert (n_csv, n_json) == (100, 100)
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        names = set(archive.namelist())
        messages = json.loads(archive.read("data/messages.json"))
        csv_text = archive.read("data/messages.csv").decode("utf-8-sig")
        html = archive.read("document.html").decode()
    assert names == {"data/summary.json", "data/messages.csv", "data/messages.json", "document.html",
                     "document.pdf", "manifest.json", "manifest.sig"}
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json", "manifest.sig"}
    assert messages[99] == {"id": 99, "body": "消息 99"}
    assert csv_text.splitlines()[1] == "0,消息 0"
    assert "调取数据包" in html and "Inspection package" in html and "京公网调字" in html
    result = verify_package(tmp_path / "p.zip")
    assert result.ok, result.problems
    assert result.files_checked == 5


@pytest.mark.clause("G13a")
def test_a_changed_byte_in_any_file_fails_verification(tmp_path):
    _build(tmp_path / "p.zip")

    def flip(name, data):
        if name == "data/messages.csv":
            return data.replace("消息 42".encode(), "消息 43".encode())
        return data

    _rewrite(tmp_path / "p.zip", tmp_path / "changed.zip", flip)
    result = verify_package(tmp_path / "changed.zip")
    assert not result.ok
    assert "data/messages.csv: SHA-256 does not match the manifest" in result.problems


@pytest.mark.clause("G13a")
def test_a_changed_byte_of_the_zip_file_itself_fails(tmp_path, settings):
    # Without the PDF: its ~40 KB are one more member like the others, and this test's time grows with every byte.
    settings.PACKAGE_PDF_FONT = str(tmp_path / "no-font.ttc")
    _build(tmp_path / "p.zip")
    raw = bytearray((tmp_path / "p.zip").read_bytes())
    for offset in range(len(raw)):  # every byte: headers, data, central directory, comment
        corrupt = bytearray(raw)
        corrupt[offset] ^= 0x01
        (tmp_path / "c.zip").write_bytes(corrupt)
        assert not verify_package(tmp_path / "c.zip").ok, f"a flipped byte at {offset} went unnoticed"


@pytest.mark.clause("G13a")
def test_a_changed_manifest_or_an_added_file_fails(tmp_path):
    _build(tmp_path / "p.zip")

    def forge_manifest(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["meta"]["document_number"] = "forged"
            return json.dumps(manifest).encode()
        return data

    _rewrite(tmp_path / "p.zip", tmp_path / "forged.zip", forge_manifest)
    assert "the manifest's signature does not verify with the platform key" in verify_package(
        tmp_path / "forged.zip").problems

    _rewrite(tmp_path / "p.zip", tmp_path / "added.zip", lambda name, data: data)
    with zipfile.ZipFile(tmp_path / "added.zip", "a") as archive:
        archive.writestr("data/extra.csv", "x")
    assert "data/extra.csv: in the ZIP but not in the manifest" in verify_package(tmp_path / "added.zip").problems


def test_another_key_does_not_verify_the_platform_signature(tmp_path):
    _build(tmp_path / "p.zip")
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert not verify_package(tmp_path / "p.zip", public_key=other).ok


def test_package_verify_command(tmp_path):
    _build(tmp_path / "p.zip")
    manifest = verify_package(tmp_path / "p.zip").manifest
    out = io.StringIO()
    call_command("package_verify", str(tmp_path / "p.zip"), "--public-key", manifest["signature"]["public_key"],
                 stdout=out)
    assert out.getvalue().startswith("OK"), out.getvalue()
    raw = bytearray((tmp_path / "p.zip").read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    (tmp_path / "bad.zip").write_bytes(raw)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("package_verify", str(tmp_path / "bad.zip"), stdout=out)
    assert out.getvalue().startswith("FAIL")


def test_the_dev_key_is_not_used_in_production_the_key_comes_from_the_environment(settings, tmp_path):
    settings.SIGNING_KEY = base64.urlsafe_b64encode(b"p" * 32).decode()
    _build(tmp_path / "p.zip")
    manifest = verify_package(tmp_path / "p.zip").manifest
    assert manifest["signature"]["public_key"] == base64.b64encode(
        Ed25519PrivateKey.from_private_bytes(b"p" * 32).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def test_signing_key_command_prints_the_public_key_and_makes_new_keys():
    from compliance import signing

    out = io.StringIO()
    call_command("signing_key", stdout=out)
    assert signing.public_key_b64() in out.getvalue() and signing.key_id() in out.getvalue()
    out = io.StringIO()
    call_command("signing_key", "--new", stdout=out)
    assert len(base64.urlsafe_b64decode(out.getvalue().strip())) == 32
