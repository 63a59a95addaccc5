"""Japanese text in reportlab PDFs: the built-in CID fonts (no font files to ship) and width-based line fitting."""

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

GOTHIC = "HeiseiKakuGo-W5"
MINCHO = "HeiseiMin-W3"


def register_fonts() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    for name in (GOTHIC, MINCHO):
        if name not in registered:
            pdfmetrics.registerFont(UnicodeCIDFont(name))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break a Japanese line by width, character by character (Japanese has no spaces to break at)."""
    lines, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = ""
        current += char
    return [*lines, current] if current else lines


def shorten(text: str, font: str, size: float, width: float) -> str:
    """The text cut to fit the width, ending in an ellipsis when it had to be cut."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
