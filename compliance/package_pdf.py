"""The PDF twin of a package's ``document.html``, rendered by WeasyPrint with a CJK font given by path.

The font is named by file (``PACKAGE_PDF_FONT``, Debian's ``fonts-wqy-microhei`` by default) rather than left to
fontconfig's fallback: a fallback without Chinese glyphs prints empty boxes, which a reader cannot tell from a
redaction. So a PDF is made only when that file is there, and every Han character of the document is in it;
otherwise ``render`` returns the reason and the package carries the HTML alone, saying why (and the log says it too).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
# WeasyPrint's time grows with the table rows (about 8 ms a row on a loaded 2-core box: bench/package_pdf.py). A
# package's document summarises (the rows are in data/); past this size (some 6,000 table rows, about a minute) the
# HTML alone is the document rather than a worker spending minutes on a PDF of hundreds of pages.
MAX_HTML_BYTES = 500_000
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass(frozen=True)
class PdfResult:
    pdf: bytes | None
    omitted: str = ""  # why there is no PDF, in Chinese and English


def font_path() -> Path:
    return Path(getattr(settings, "PACKAGE_PDF_FONT", "") or DEFAULT_FONT)


@lru_cache(maxsize=4)
def _font_face(path: str, mtime: float) -> tuple[str, frozenset[int]]:
    """The font's family name and the code points it draws (the file's mtime keys the cache)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return font["name"].getDebugName(1) or "CJK", frozenset(font.getBestCmap() or {})


def render(html: str) -> PdfResult:
    """The PDF of ``html``, or why there is none. Never raises: a package without a PDF still has its document."""
    path = font_path()
    if len(html.encode()) > MAX_HTML_BYTES:
        return _omit(f"文档过大（{len(html.encode())} 字节），未生成 PDF / the document is too large for a PDF "
                     f"({len(html.encode())} bytes > {MAX_HTML_BYTES})")
    if not path.is_file():
        return _omit(f"未安装中文字体 {path}，未生成 PDF（否则汉字将显示为空框）/ no PDF: the CJK font {path} is not "
                     "installed (Chinese would print as empty boxes); install fonts-wqy-microhei")
    try:
        family, drawn = _font_face(str(path), path.stat().st_mtime)
    except Exception as exc:  # an unreadable font file is a reason to omit the PDF, not to fail the package
        return _omit(f"中文字体无法读取，未生成 PDF / no PDF: the CJK font {path} cannot be read ({exc})")
    missing = sorted({c for c in _HAN.findall(html) if ord(c) not in drawn})
    if missing:
        return _omit(f"字体 {family} 缺少 {len(missing)} 个汉字（{''.join(missing[:20])}），未生成 PDF / no PDF: the font "
                     f"{family} lacks {len(missing)} Chinese characters of the document")
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        class FontOnly(weasyprint.URLFetcher):
            """The font is all a package's PDF loads: never a file or address a document's text might name."""

            def fetch(self, url, headers=None):
                if url != path.as_uri():
                    raise ValueError(f"a package's PDF loads nothing but its font, not {url}")
                return super().fetch(url, headers)

        fonts, fetcher = FontConfiguration(), FontOnly(allowed_protocols=("file",))
        css = weasyprint.CSS(string=(
            f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); }}\n'
            f'body, h1, h2, th, td, code, small {{ font-family: "{family}", sans-serif !important; }}\n'
            "@page { size: A4; margin: 1.5cm; }"), font_config=fonts, url_fetcher=fetcher)
        return PdfResult(weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[css],
                                                                                    font_config=fonts))
    except Exception as exc:  # WeasyPrint or pango missing or failing: the HTML is still the document
        return _omit(f"PDF 生成失败 / the PDF could not be rendered ({type(exc).__name__}: {exc})")


def _omit(reason: str) -> PdfResult:
    log.warning("package document without PDF: %s", reason)
    return PdfResult(None, reason)
