"""The conformity-per-clause chart of the audit report: a PNG drawn with Pillow (python-docx cannot draw).

One horizontal stacked bar per clause (4 to 10) or Annex A area (A.2 to A.10): conforming, nonconformity, observation,
OFI, not applicable, not audited and open items. Status is never shown by colour alone: every segment wide enough
carries its abbreviation and count, every bar ends with the counts in words and the conformity percentage, and the
table beside the chart holds the same figures. The output depends only on the figures (no timestamps), so the same
results always give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from audit_app.services.reports.report_rows import Counts

#: (abbreviation, legend, fill colour, text colour): colour-blind-safe fills, each segment also labelled.
SEGMENTS = (
    ("C", "Conforming", (0x1B, 0x7F, 0x5B), (255, 255, 255)),
    ("NC", "Nonconformity", (0xB0, 0x00, 0x20), (255, 255, 255)),
    ("Obs", "Observation", (0xE6, 0x9F, 0x00), (0, 0, 0)),
    ("OFI", "Opportunity for improvement", (0x56, 0xB4, 0xE9), (0, 0, 0)),
    ("N/A", "Not applicable", (0xBB, 0xBB, 0xBB), (0, 0, 0)),
    ("Not aud", "Not audited", (0x55, 0x55, 0x55), (255, 255, 255)),
    ("Open", "Not yet assessed", (0xFF, 0xFF, 0xFF), (0, 0, 0)),
)
_WIDTH = 1500
_LABEL_W = 110
_BAR_W = 760
_ROW_H = 60
_BAR_H = 44
_TOP = 150
_INK = (0x1F, 0x2A, 0x44)


def _values(counts: Counts) -> tuple[int, ...]:
    return (
        counts.conforming,
        counts.nonconformity,
        counts.observation,
        counts.ofi,
        counts.not_applicable,
        counts.not_audited,
        counts.open,
    )


def describe(counts: Counts) -> str:
    """The bar's figures in words: "5 C, 1 NC, 2 Obs; 86% conforming"."""
    parts = [f"{n} {abbr}" for n, (abbr, *_rest) in zip(_values(counts), SEGMENTS, strict=True) if n]
    share = counts.percent_conforming
    tail = f"; {share}% conforming" if share is not None else "; none judged"
    return (", ".join(parts) or "no items") + tail


def conformity_chart(
    rows: Sequence[tuple[str, Counts]], *, title: str = "Conformity per clause and Annex A objective"
) -> bytes:
    """The chart as PNG bytes, one bar per (area label, counts) row in the order given."""
    font = ImageFont.load_default(size=30)
    small = ImageFont.load_default(size=26)
    bold = ImageFont.load_default(size=34)
    height = _TOP + _ROW_H * max(len(rows), 1) + 30
    image = Image.new("RGB", (_WIDTH, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((10, 8), title, fill=_INK, font=bold)
    # Legend: swatch, abbreviation and meaning, so the abbreviations on the bars are explained in the image itself.
    x, y = 10, 60
    for abbr, legend, fill, _ in SEGMENTS:
        label = f"{abbr} = {legend}"
        if x + 32 + draw.textlength(label, font=small) > _WIDTH - 10:
            x, y = 10, y + 38
        draw.rectangle((x, y + 4, x + 26, y + 30), fill=fill, outline=(0, 0, 0))
        draw.text((x + 32, y + 2), label, fill=_INK, font=small)
        x += 32 + int(draw.textlength(label, font=small)) + 28
    top = max(_TOP, y + 56)
    if top != _TOP:  # a wrapped legend: grow the canvas
        grown = Image.new("RGB", (_WIDTH, height + top - _TOP), (255, 255, 255))
        grown.paste(image, (0, 0))
        image, draw = grown, ImageDraw.Draw(grown)
    for index, (label, counts) in enumerate(rows):
        row_y = top + index * _ROW_H
        draw.text((10, row_y + 5), label, fill=_INK, font=font)
        total = max(counts.items, 1)
        left = _LABEL_W
        draw.rectangle((_LABEL_W, row_y, _LABEL_W + _BAR_W, row_y + _BAR_H), outline=(0x99, 0x99, 0x99))
        for value, (abbr, _legend, fill, text_fill) in zip(_values(counts), SEGMENTS, strict=True):
            if not value:
                continue
            width = round(_BAR_W * value / total)
            draw.rectangle((left, row_y, left + width, row_y + _BAR_H), fill=fill, outline=(0, 0, 0))
            text = f"{abbr} {value}"
            if draw.textlength(text, font=small) + 8 <= width:
                draw.text((left + 5, row_y + 8), text, fill=text_fill, font=small)
            left += width
        draw.text((_LABEL_W + _BAR_W + 14, row_y + 8), describe(counts), fill=_INK, font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
