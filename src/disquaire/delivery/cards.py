"""Printable cards for download codes: a PDF of cut-out cards, ten to an A4 page.

Each card (85 × 54 mm, a business card, fits a CD sleeve) shows the cover, the artist,
the release, the code in large monospace groups, the short redeem address and a QR code
that opens the redeem page with the code filled in. Thin grey lines show where to cut.
QR codes are drawn as vector squares (sharp at any printer resolution, and quick: 600
cards in a couple of seconds); the cover is embedded once and reused on every card.
"""

from __future__ import annotations

import io
from typing import IO

import qrcode
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from disquaire.delivery.codes import batch_codes, code_display, code_redeem_url
from disquaire.delivery.models import CodeBatch

CARD_W = 85 * mm
CARD_H = 54 * mm
COLUMNS = 2
ROWS = 5
PER_PAGE = COLUMNS * ROWS
PAD = 4 * mm
COVER = 18 * mm
QR = 24 * mm


def _fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> tuple[str, float]:
    """``text`` at the largest size down to ``smallest`` that fits ``width``, cut with an
    ellipsis if even that is too wide."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def _cover_reader(batch: CodeBatch) -> ImageReader | None:
    release = batch.release
    if not release.cover:
        return None
    try:
        from PIL import Image

        with default_storage.open(release.cover.name, "rb") as handle:
            source = Image.open(io.BytesIO(handle.read()))
            source.draft("RGB", (400, 400))
            image = source.convert("RGB")
        image.thumbnail((400, 400))
        return ImageReader(image)
    except Exception:
        return None


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    # A fixed mask skips qrcode's trial of all eight in pure Python (most of the time of
    # a card); any of the eight masks makes a valid code.
    code = qrcode.QRCode(
        border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2
    )
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    path = canvas.beginPath()
    # One rectangle per horizontal run of dark cells: a third of the rectangles of one
    # per cell, which matters because reportlab formats every number in Python.
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * cell
        start = None
        for col_index, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                path.rect(x + start * cell, top, (col_index - start) * cell, cell * 1.02)
                start = None
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


def _card(
    canvas: Canvas,
    *,
    x: float,
    y: float,
    batch: CodeBatch,
    code: str,
    cover: ImageReader | None,
    short_url: str,
) -> None:
    release = batch.release
    canvas.setStrokeGray(0.75)
    canvas.setLineWidth(0.3)
    canvas.setDash(2, 2)
    canvas.rect(x, y, CARD_W, CARD_H, stroke=1, fill=0)
    canvas.setDash()
    top = y + CARD_H - PAD
    text_x = x + PAD
    if cover is not None:
        canvas.drawImage(cover, x + PAD, top - COVER, COVER, COVER)
        text_x = x + PAD + COVER + 3 * mm
    width = x + CARD_W - PAD - text_x
    canvas.setFillGray(0)
    artist, size = _fit(batch.artist.name, "Helvetica-Bold", 11, width)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawString(text_x, top - 11, artist)
    title, size = _fit(release.title, "Helvetica", 9.5, width)
    canvas.setFont("Helvetica", size)
    canvas.drawString(text_x, top - 23, title)
    canvas.setFont("Helvetica", 7)
    canvas.setFillGray(0.3)
    canvas.drawString(text_x, top - 34, _fit(_("Digital download"), "Helvetica", 7, width)[0])

    left_width = CARD_W - 2 * PAD - QR - 3 * mm
    base = y + PAD
    _qr(canvas, code_redeem_url(batch=batch, code=code), x + CARD_W - PAD - QR, base, QR)
    canvas.setFillGray(0.3)
    label, size = _fit(_("Your download code"), "Helvetica", 7, left_width)
    canvas.setFont("Helvetica", size)
    canvas.drawString(x + PAD, base + 15 * mm, label)
    canvas.setFillGray(0)
    shown, size = _fit(code_display(code), "Courier-Bold", 14, left_width, smallest=9)
    canvas.setFont("Courier-Bold", size)
    canvas.drawString(x + PAD, base + 9 * mm, shown)
    canvas.setFillGray(0.3)
    hint, size = _fit(_("Enter it at"), "Helvetica", 7, left_width)
    canvas.setFont("Helvetica", size)
    canvas.drawString(x + PAD, base + 4.5 * mm, hint)
    canvas.setFillGray(0)
    url, size = _fit(short_url, "Helvetica-Bold", 8, left_width, smallest=5)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawString(x + PAD, base + 0.5 * mm, url)


def code_batch_pdf(*, batch: CodeBatch, out: IO[bytes] | None = None) -> bytes:
    """The batch's cards as a PDF, ``PER_PAGE`` cards a page; written to ``out`` when
    given (returns b"" then), else returned."""
    buffer = io.BytesIO()
    canvas = Canvas(out or buffer, pagesize=A4, pageCompression=1)
    release = batch.release
    canvas.setTitle(f"{batch.artist.name} — {release.title}")
    canvas.setAuthor(batch.artist.name)
    page_w, page_h = A4
    margin_x = (page_w - COLUMNS * CARD_W) / 2
    margin_y = (page_h - ROWS * CARD_H) / 2
    cover = _cover_reader(batch)
    short_url = code_redeem_url(batch=batch).split("://", 1)[-1].rstrip("/")
    language = batch.artist.default_language or settings.LANGUAGE_CODE
    with translation.override(language):
        codes = batch_codes(batch).values_list("code", flat=True).iterator()
        for count, code in enumerate(codes):
            slot = count % PER_PAGE
            if count and slot == 0:
                canvas.showPage()
            column, row = slot % COLUMNS, slot // COLUMNS
            _card(
                canvas,
                x=margin_x + column * CARD_W,
                y=page_h - margin_y - (row + 1) * CARD_H,
                batch=batch,
                code=code,
                cover=cover,
                short_url=short_url,
            )
        canvas.showPage()
        canvas.save()
    return b"" if out is not None else buffer.getvalue()
