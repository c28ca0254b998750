"""What kind of file an upload is, judged from its content, never from its name.

The formats officials hand in as evidence (整改佐证材料): PDF, JPEG, PNG, Word and Excel
documents (OOXML: a zip holding `[Content_Types].xml` and the main part of its kind) and
OFD (GB/T 33190, China's fixed-layout format: a zip whose entry file is `OFD.xml`). A zip
is only listed, never unpacked, so a zip bomb costs nothing here.
"""

from __future__ import annotations

import io
import zipfile

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFD = "application/ofd"

ACCEPTED = "PDF、JPEG、PNG、DOCX、XLSX、OFD"

_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
# the main part an OOXML package of each kind must hold
_OOXML_MAIN = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))


def detect(content: bytes) -> str | None:
    """The media type of `content`, or None for a format not accepted."""
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    return None


def _zip_kind(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "OFD.xml" in names:
        return OFD
    if "[Content_Types].xml" not in names:
        return None
    for main_part, media_type in _OOXML_MAIN:
        if main_part in names:
            return media_type
    return None


EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", DOCX: ".docx", XLSX: ".xlsx", OFD: ".ofd"}
