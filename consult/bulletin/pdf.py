"""The bulletin as a PDF: the page's own HTML (`bulletin/_bulletin.html`) through WeasyPrint, on A4.

WeasyPrint, not Typst as for the record: the bulletin is a page of a few dozen lines whose HTML is already written
for print, and the PDF is that same text (bench/record_pdf.py measured WeasyPrint slow on a 10,000-row table, not on
a page like this: about 0.2 s here). It is rendered in the request, in a thread, and tagged (PDF/UA-1) so that a
screen reader and a copy-paste into the municipal bulletin both get the text in reading order.
"""

from __future__ import annotations

from pathlib import Path

from consult.web import TEMPLATE_DIR

STYLESHEET = TEMPLATE_DIR / "bulletin" / "bulletin_pdf.css"


def render_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import CSS, HTML  # imported here: loading Pango costs the app's start-up, not each request

    stylesheet = CSS(string=Path(STYLESHEET).read_text(encoding="utf-8"))
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[stylesheet], pdf_variant="pdf/ua-1")
