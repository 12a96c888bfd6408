"""QR codes drawn on the server as inline SVG (`segno`, pure Python): a room's door sign.

The SVG is an image with a name (`role="img"`, `aria-label` and a `<title>`), so a screen reader
says what the code is for instead of skipping it or reading its paths."""

from __future__ import annotations

from html import escape

import segno


def qr_svg(data: str, name: str, *, scale: int = 8) -> str:
    """`data` as an inline SVG QR code named `name` (medium error correction: a printed sign
    still reads with a scratch or a fold); sized by its viewBox, so the page's CSS scales it to
    the sheet."""
    svg = segno.make(data, error="m").svg_inline(scale=scale, title=name, border=4, omitsize=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(name)}" ', 1)
