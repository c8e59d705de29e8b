"""Page extraction (runs in the worker process in production; called directly here)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.fetcher.extraction import PageInput, extract_page
from services.fetcher.replay import ReplayItem, render_article

DATA = Path(__file__).resolve().parents[2] / "data" / "fetcher"


def test_ukrainian_article_page() -> None:
    page = extract_page(
        PageInput("https://porty.example.ua/x?utm_source=a", (DATA / "article_uk.html").read_bytes())
    )
    assert page.lang == "uk"
    assert page.canonical_url == "https://porty.example.ua/novyny/odesa-zerno"
    assert page.published_at == datetime(2026, 11, 5, 6, 40, tzinfo=UTC)
    assert page.authors == ["Олена Коваль"]
    assert page.site_name == "Порти сьогодні"
    assert "сорока тисяч тонн" in page.text
    assert "розсилку" not in page.text  # footer boilerplate is not article text
    assert not page.text.startswith("Одеський порт відновив")  # the <h1> is the title, not the text
    assert len(page.content_sha256) == 64


def test_page_without_article_has_no_text() -> None:
    page = extract_page(PageInput("https://x.example/consent", (DATA / "no_article.html").read_bytes()))
    assert page.text == "" and page.content_sha256 == ""


def test_text_is_capped() -> None:
    item = ReplayItem(
        title="Long read", summary="", text="\n".join(f"Paragraph {i} " * 20 for i in range(400))
    )
    html = render_article(item, 0, "http://r.example", datetime(2026, 1, 1, tzinfo=UTC))
    page = extract_page(PageInput("http://r.example/articles/0.html", html.encode(), max_text_chars=5000))
    assert page.truncated and len(page.text) == 5000


def test_replay_page_round_trip() -> None:
    # Inline fixture: a Korean replay item with an original URL; the page must carry it as canonical.
    item = ReplayItem(
        title="부산항, 올해 컨테이너 처리량 최대 기록",
        summary="",
        text="부산항만공사는 올해 컨테이너 처리량이 역대 최대를 기록했다고 밝혔다.\n"
        "항만공사는 신규 터미널 개장과 환적 물량 증가가 주된 원인이라고 설명했다.",
        url="https://news.example.kr/busan-record?utm_medium=rss",
        source="항만일보",
        lang="ko",
        author="김민수",
    )
    published = datetime(2026, 11, 6, 1, 2, 3, tzinfo=UTC)
    html = render_article(item, 3, "http://127.0.0.1:1", published)
    page = extract_page(PageInput("http://127.0.0.1:1/articles/3.html", html.encode()))
    assert page.canonical_url == "https://news.example.kr/busan-record?utm_medium=rss"
    assert page.lang == "ko" and page.site_name == "항만일보" and page.authors == ["김민수"]
    assert page.published_at == published
    assert page.title == item.title
    assert page.text.startswith("부산항만공사는")
