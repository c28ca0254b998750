"""Evidence files: references as events hold them, and the type judged from the content."""

from __future__ import annotations

import io
import zipfile

import pytest

from api.file_references import file_references
from api.file_types import DOCX, JPEG, OFD, PDF, PNG, XLSX, detect
from domain.errors import InvalidInput
from domain.evidence import digest_of, file_digests, stored_digests
from domain.personal_data import Masker

DIGEST = "0123456789abcdef" * 4


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def test_pdf_jpeg_and_png_are_recognised_from_their_first_bytes() -> None:
    assert detect(b"%PDF-1.7\n...") == PDF
    assert detect(b"\xff\xd8\xff\xe0\x00\x10JFIF") == JPEG
    assert detect(b"\x89PNG\r\n\x1a\n\x00\x00") == PNG


def test_word_and_excel_documents_need_their_content_types_and_main_part() -> None:
    assert detect(_zip("[Content_Types].xml", "word/document.xml")) == DOCX
    assert detect(_zip("[Content_Types].xml", "xl/workbook.xml")) == XLSX
    assert detect(_zip("word/document.xml")) is None  # no [Content_Types].xml: not OOXML
    assert detect(_zip("[Content_Types].xml", "ppt/presentation.xml")) is None


def test_an_ofd_document_is_recognised_by_its_entry_file() -> None:
    assert detect(_zip("OFD.xml", "Doc_0/Document.xml")) == OFD


def test_other_content_is_refused_whatever_its_name_would_say() -> None:
    assert detect(b"MZ\x90\x00 a program named report.pdf") is None
    assert detect(b"<html><script>alert(1)</script>") is None
    assert detect(_zip("payload.exe")) is None
    assert detect(b"PK\x03\x04 truncated") is None


def test_file_digests_skip_plain_references_and_name_each_file_once() -> None:
    attachments = ["现场照片.jpg", f"sha256:{DIGEST}", f" sha256:{DIGEST} "]
    assert file_digests(attachments) == [DIGEST]


def test_a_malformed_file_reference_is_refused_naming_the_field_in_both_languages() -> None:
    with pytest.raises(InvalidInput) as refused:
        digest_of("sha256:XYZ", "input.attachments")
    assert refused.value.field == "input.attachments"
    assert "文件引用格式" in refused.value.message and "64 lowercase hex" in refused.value.message


def test_stored_events_with_a_plain_string_looking_like_a_reference_are_read_as_plain() -> None:
    assert stored_digests(["sha256:not-a-digest", f"sha256:{DIGEST}", 7]) == [DIGEST]


def test_file_references_are_found_at_any_depth_of_a_mutations_arguments() -> None:
    arguments = {
        "issueId": "x",
        "attachments": ["照片.jpg", f"sha256:{DIGEST}"],
        "input": {"reporter": {"name": "张"}, "attachments": [f"sha256:{DIGEST}"]},
    }
    assert list(file_references(arguments)) == [
        ("attachments", f"sha256:{DIGEST}"),
        ("input.attachments", f"sha256:{DIGEST}"),
    ]


def test_exports_keep_a_file_reference_intact() -> None:
    # digits inside the digest must not read as a phone or ID number to the masker
    reference = "sha256:" + "13812345678" + "0" * 53
    payload = {"text": "电话13812345678", "attachments": [reference], "agency_id": "a"}
    masked = Masker().payload("item", "rectify:RectificationIssue.ProgressReported", payload)
    assert masked["attachments"] == [reference]
    assert "13812345678" not in masked["text"]
