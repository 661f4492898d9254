"""extract_text over CSV, TXT, XLSX and PDF, and over what they are not."""

from __future__ import annotations

import io
import random
import time
import zipfile

import openpyxl
import pypdf
import pytest

from ronda.config import Limits
from ronda.errors import BadInput, TooLarge
from ronda.takedowns.intake.files import MAX_PDF_PAGES, FileText, extract_text

LIMITS = Limits()


def extract(name: str, data: bytes, limits: Limits = LIMITS, **kw: str) -> FileText:
    return extract_text(name, data, limits=limits, **kw)


# --------------------------------------------------------------------------- #
# CSV and TXT


def test_csv_cp1252_with_semicolons() -> None:
    data = "Kanal;Kategori;Keterangan\nhttps://t.me/a;judi;café – “gacor”\n".encode("cp1252")
    result = extract("daftar.csv", data)
    assert result.kind == "csv"
    assert result.encoding == "windows-1252"
    assert result.rows == 2
    assert result.text == "Kanal\tKategori\tKeterangan\nhttps://t.me/a\tjudi\tcafé – “gacor”"
    assert any("not UTF-8" in w for w in result.warnings)


def test_csv_utf16_with_bom_and_tabs() -> None:
    data = "Kanal\tKategori\r\nhttps://t.me/a\tjudi ñ\r\n".encode("utf-16")
    result = extract("daftar.csv", data)
    assert result.text == "Kanal\tKategori\nhttps://t.me/a\tjudi ñ"
    assert result.encoding in ("utf-16le", "utf-16be")


def test_csv_utf16_without_bom() -> None:
    data = "Kanal,Kategori\nhttps://t.me/a,judi\n".encode("utf-16-le")
    result = extract("daftar.csv", data)
    assert result.text == "Kanal\tKategori\nhttps://t.me/a\tjudi"
    assert result.encoding == "utf-16le"


def test_csv_utf8_bom_commas_and_quotes() -> None:
    data = '\ufeffurl,catatan\n"https://t.me/a","judi, slot"\n"https://t.me/b","dua\nbaris"\n'
    result = extract("x.csv", data.encode())
    assert result.encoding == "utf-8"
    assert result.text == "url\tcatatan\nhttps://t.me/a\tjudi, slot\nhttps://t.me/b\tdua baris"
    assert result.rows == 3


def test_csv_pipes_detected_without_extension() -> None:
    data = b"Kanal|Kategori\nhttps://t.me/a|judi\nhttps://t.me/b|hoaks\n"
    result = extract("lampiran", data, content_type="application/octet-stream")
    assert result.kind == "csv"
    assert result.text.splitlines()[1] == "https://t.me/a\tjudi"


def test_latin1_with_bytes_undefined_in_cp1252() -> None:
    data = "Kanal;Ket\nhttps://t.me/a;Größe\n".encode("latin-1") + b"\x81\n"
    result = extract("x.csv", data)
    assert result.encoding == "iso-8859-1"
    assert "Größe" in result.text


def test_txt_with_crlf_and_bom() -> None:
    result = extract("daftar.txt", "Daftar:\r\nhttps://t.me/a\r\n".encode("utf-8-sig"))
    assert result == FileText("Daftar:\nhttps://t.me/a\n", "txt", "utf-8", 2, [])


def test_empty_file() -> None:
    result = extract("kosong.csv", b"")
    assert result.text == "" and result.rows == 0 and result.kind == "csv"
    assert result.warnings == ["kosong.csv is empty"]


def test_million_line_csv_stops_quickly_at_the_row_limit() -> None:
    data = "\n".join(f"t.me/c{i};j" for i in range(1_000_000)).encode()
    start = time.perf_counter()
    with pytest.raises(TooLarge, match=f"has more than {LIMITS.max_rows} rows"):
        extract("sejuta.csv", data, Limits(max_attachment_bytes=50_000_000))
    assert time.perf_counter() - start < 5


def test_txt_row_limit_and_text_limit() -> None:
    with pytest.raises(TooLarge, match="has more than 3 rows"):
        extract("a.txt", b"1\n2\n3\n4\n", Limits(max_rows=3))
    with pytest.raises(TooLarge, match="more than 10 characters"):
        extract("a.txt", b"0123456789abcdef", Limits(max_text_chars=10))
    with pytest.raises(TooLarge, match="more than 10 characters"):
        extract("a.csv", b"a;b\n0123456789;x\n", Limits(max_text_chars=10))


def test_attachment_over_size_limit() -> None:
    with pytest.raises(TooLarge, match="is 2000 bytes, over the limit of 1000 bytes"):
        extract("a.csv", b"x" * 2000, Limits(max_attachment_bytes=1000))


# --------------------------------------------------------------------------- #
# Not text


def test_random_bytes_are_refused() -> None:
    rng = random.Random(3)
    data = bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(BadInput, match=r"is not a text, CSV, XLSX or PDF file"):
        extract("daftar.csv", data)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(100), "executable"),
        (b"MZ\x90\x00\x03" + bytes(100), "executable"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
    ],
)
def test_known_binaries_are_refused_by_name(data: bytes, what: str) -> None:
    with pytest.raises(BadInput, match=f"not a text, CSV, XLSX or PDF file.*{what}"):
        extract("lampiran.txt", data)


def test_legacy_xls_and_non_xlsx_zip() -> None:
    with pytest.raises(BadInput, match="legacy Office"):
        extract("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(BadInput, match="Word document"):
        extract("a.xlsx", buffer.getvalue())
    with pytest.raises(BadInput, match="broken ZIP"):
        extract("a.xlsx", b"PK\x03\x04 this is not really a zip")


def test_text_named_pdf_is_read_as_text_with_warning() -> None:
    result = extract("surat.pdf", b"https://t.me/a\n")
    assert result.kind == "txt"
    assert any("holds text" in w for w in result.warnings)


# --------------------------------------------------------------------------- #
# XLSX


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Daftar"
    sheet.append(["No", "Tautan", "Kategori", "Tanggal"])
    sheet.append([1, "https://t.me/judol1", "judi", None])
    sheet.append([2.0, "klik di sini", "hoaks", 2.5])
    sheet["B3"].hyperlink = "https://t.me/tersembunyi"
    sheet["E2"] = '=HYPERLINK("https://t.me/rumus","buka")'
    second = workbook.create_sheet("Tambahan")
    second["A1"] = "t.me/lembar2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_real_xlsx_all_sheets_cells_and_hyperlinks() -> None:
    result = extract("daftar.xlsx", make_xlsx())
    assert result.kind == "xlsx"
    lines = result.text.splitlines()
    assert lines[0] == "# Daftar"
    assert lines[1] == "No\tTautan\tKategori\tTanggal"
    assert lines[2].startswith("1\thttps://t.me/judol1\tjudi")
    assert lines[3] == "2\tklik di sini\thoaks\t2.5"
    assert "https://t.me/tersembunyi" in lines
    assert "https://t.me/rumus" in lines
    assert "# Tambahan" in lines and "t.me/lembar2" in lines
    assert result.rows == 4
    assert result.warnings == []


def test_xlsx_detected_by_magic_even_when_named_csv() -> None:
    result = extract("daftar.csv", make_xlsx(), content_type="text/csv")
    assert result.kind == "xlsx"


def test_xlsx_row_limit() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for i in range(30):
        sheet.append([f"https://t.me/k{i}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(TooLarge, match="has more than 10 rows"):
        extract("a.xlsx", buffer.getvalue(), Limits(max_rows=10))


def bomb(rows: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        row = "<row><c t='inlineStr'><is><t>aaaaaaaaaa</t></is></c></row>"
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            "<worksheet><sheetData>" + row * rows + "</sheetData></worksheet>",
        )
    return buffer.getvalue()


def test_xlsx_zip_bomb_ratio_is_refused_before_opening() -> None:
    data = bomb(400_000)  # about 24 MB of XML in about 60 KB
    start = time.perf_counter()
    with pytest.raises(TooLarge, match=r"compressed \d+:1 .* over the limit of 200:1"):
        extract("bom.xlsx", data)
    assert time.perf_counter() - start < 0.5


def test_xlsx_total_unpacked_size_is_refused() -> None:
    limits = Limits(max_uncompressed_bytes=1_000_000, max_compression_ratio=100_000)
    with pytest.raises(TooLarge, match=r"would unpack to \d+ bytes, over the limit of 1000000"):
        extract("bom.xlsx", bomb(50_000), limits)


# --------------------------------------------------------------------------- #
# PDF


def make_pdf(lines: list[str], links: list[str], pages: int = 1) -> bytes:
    """A minimal PDF written by hand: Helvetica text and URI link annotations."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({t}) '" for t in lines) + " ET"
    stream = content.encode("latin-1")
    first_annot = 6
    first_page = first_annot + len(links)
    annots = " ".join(f"{first_annot + i} 0 R" for i in range(len(links)))
    kids = " ".join(f"{first_page + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Font << /F1 3 0 R >> >>",
    ]
    for i, url in enumerate(links):
        objects.append(
            f"<< /Type /Annot /Subtype /Link /Rect [72 {600 - 20 * i} 300 {615 - 20 * i}] "
            f"/Border [0 0 0] /A << /S /URI /URI ({url}) >> >>".encode()
        )
    for _ in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            f"/Resources 5 0 R /Annots [{annots}] >>".encode()
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_and_link_annotations() -> None:
    data = make_pdf(
        ["Nomor: B-1/DJAI/2026", "Mohon blokir https://t.me/tertulis"],
        ["https://t.me/hanya_tautan", "https://t.me/tertulis"],
    )
    result = extract("surat.pdf", data)
    assert result.kind == "pdf"
    assert result.rows == 1
    assert "Nomor: B-1/DJAI/2026" in result.text
    assert "Mohon blokir https://t.me/tertulis" in result.text
    assert "https://t.me/hanya_tautan" in result.text.splitlines()
    assert result.text.count("https://t.me/tertulis") == 1


def test_encrypted_pdf_is_refused() -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(["rahasia"], []))))
    writer.encrypt("sandi", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(BadInput, match="encrypted PDF"):
        extract("rahasia.pdf", buffer.getvalue())


def test_pdf_with_empty_user_password_is_read() -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(["terbuka"], []))))
    writer.encrypt("", "pemilik", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    result = extract("terbuka.pdf", buffer.getvalue())
    assert "terbuka" in result.text
    assert any("empty password" in w for w in result.warnings)


def test_broken_pdf_is_refused() -> None:
    with pytest.raises(BadInput, match="broken PDF"):
        extract("rusak.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog")


def test_pdf_page_limit() -> None:
    data = make_pdf(["halaman"], [], pages=MAX_PDF_PAGES + 1)
    with pytest.raises(TooLarge, match=f"has {MAX_PDF_PAGES + 1} pages, over the limit"):
        extract("tebal.pdf", data)


def test_csv_with_a_field_over_the_csv_module_limit_falls_back_to_text() -> None:
    data = b'url,catatan\nhttps://t.me/a,"' + b"x" * 200_000 + b'"\n'
    result = extract("a.csv", data)
    assert result.kind == "txt"
    assert "https://t.me/a" in result.text
    assert any("could not be read as CSV" in w for w in result.warnings)
