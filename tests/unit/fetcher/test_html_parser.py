"""The C-lookup HTML parser gives trafilatura the same text as its own parser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura
from lxml.html import HtmlElement, fromstring
from trafilatura.utils import HTML_PARSER

from services.fetcher.html_parser import fast_html_parser
from services.fetcher.replay import ReplayItem, render_article

STAMP = datetime(2026, 11, 5, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[2] / "data" / "fetcher"
FORM_PAGE = (
    "<html><head><title>Form</title></head><body><form action='/s'><input name='q'><select name='l'>"
    "<option>en</option></select><textarea>t</textarea><label>l</label></form><article>"
    + "<p>Seoul said on Tuesday that the report was under review by its analysts and partners.</p>" * 8
    + "</article></body></html>"
)


def _pages() -> list[bytes]:
    rendered = render_article(
        ReplayItem(title="Sappers sent", summary="", text="Paragraph one of the story.\n\n" * 12),
        3,
        "http://r/",
        STAMP,
    )
    return [
        (DATA / "article_uk.html").read_bytes(),
        (DATA / "no_article.html").read_bytes(),
        (DATA / "index.html").read_bytes(),
        FORM_PAGE.encode(),
        rendered.encode(),
    ]


@pytest.mark.parametrize("number", range(5))
def test_same_text_as_trafilaturas_own_parser(number: int) -> None:
    page = _pages()[number]
    stock = trafilatura.extract(fromstring(page, parser=HTML_PARSER), include_comments=False)
    fast = trafilatura.extract(fromstring(page, parser=fast_html_parser()), include_comments=False)
    assert fast == stock


def test_every_element_is_an_html_element() -> None:
    tree = fromstring(FORM_PAGE.encode(), parser=fast_html_parser())
    assert all(isinstance(e, HtmlElement) for e in tree.iter() if isinstance(e.tag, str))
    assert tree.find(".//form").text_content() == "entl"
