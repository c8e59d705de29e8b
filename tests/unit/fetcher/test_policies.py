"""SSRF address policy, backoff spread, per-host politeness, replay file loading."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import statistics
import time
from pathlib import Path

import pytest

from services.fetcher import ssrf
from services.fetcher.feed_poller import error_delay, next_interval
from services.fetcher.host_limiter import HostDeferred, HostLimiter
from services.fetcher.replay import load_replay_file, parse_rate
from shared.errors import ConfigError


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback address"),
        ("::1", "loopback address"),
        ("169.254.169.254", "cloud metadata address"),
        ("169.254.10.1", "link-local address"),
        ("10.1.2.3", "private address"),
        ("192.168.0.1", "private address"),
        ("::ffff:127.0.0.1", "loopback address"),
        ("fd00:ec2::254", "cloud metadata address"),
        ("0.0.0.0", "private address"),
        ("100.64.0.1", "non-global address"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_address_policy(address: str, problem: str | None) -> None:
    assert ssrf.address_problem(ipaddress.ip_address(address)) == problem


async def test_check_url_literals() -> None:
    with pytest.raises(ssrf.SsrfBlocked, match=r"169\.254\.169\.254"):
        await ssrf.check_url("http://169.254.169.254/latest/meta-data/", allow_private=False)
    with pytest.raises(ssrf.SsrfBlocked, match="loopback"):
        await ssrf.check_url("http://[::1]:8080/x", allow_private=False)
    with pytest.raises(ssrf.SsrfBlocked, match="scheme"):
        await ssrf.check_url("file:///etc/passwd", allow_private=True)
    await ssrf.check_url("http://127.0.0.1:8765/a", allow_private=True)
    await ssrf.check_url("https://8.8.8.8/", allow_private=False)


def test_error_backoff_grows_caps_and_spreads() -> None:
    first = [error_delay(1, 30, 3600, 300) for _ in range(200)]
    fifth = [error_delay(5, 30, 3600, 300) for _ in range(200)]
    tenth = [error_delay(10, 30, 3600, 300) for _ in range(200)]
    assert all(15 <= d <= 30 for d in first)
    assert all(240 <= d <= 480 for d in fifth)
    assert all(1800 <= d <= 3600 for d in tenth)
    # Jitter: failing feeds do not retry in lockstep.
    assert statistics.pstdev(fifth) > 20 and len({round(d, 3) for d in fifth}) > 150


def test_poll_interval_jitter() -> None:
    values = [next_interval(100, 0.1) for _ in range(200)]
    assert all(90 <= v <= 110 for v in values) and statistics.pstdev(values) > 2


async def test_host_limiter_min_delay_and_concurrency() -> None:
    limiter = HostLimiter(concurrency=1, min_delay=0.05)
    starts: list[float] = []

    async def request() -> None:
        async with limiter.slot("a.example"):
            starts.append(time.monotonic())
            await asyncio.sleep(0.01)

    await asyncio.gather(*(request() for _ in range(4)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g >= 0.045 for g in gaps)
    # Another host is not slowed down by the first.
    t0 = time.monotonic()
    async with limiter.slot("b.example"):
        assert time.monotonic() - t0 < 0.03


async def test_host_limiter_retry_after() -> None:
    limiter = HostLimiter(concurrency=2, min_delay=0, max_wait_for_retry_after=1)
    limiter.defer("slow.example", 120)
    with pytest.raises(HostDeferred):
        async with limiter.slot("slow.example"):
            pass


def test_replay_file_and_rate(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl"
    good.write_text(
        '{"title": "Eins", "text": "Erster Absatz.\\nZweiter Absatz.", "lang": "de", '
        '"published_at": "2026-11-01T10:00:00Z"}\n'
        "\n"
        '{"title": "Two", "text": "Body", "url": "https://x.example/2", "source": "X"}\n',
        encoding="utf-8",
    )
    items = load_replay_file(good)
    assert [i.title for i in items] == ["Eins", "Two"]
    assert items[0].summary == "Erster Absatz." and items[0].published_at is not None
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"title": "no text"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"b.jsonl:1"):
        load_replay_file(bad)
    assert parse_rate("2/s") == 2 and parse_rate("30/m") == 0.5 and parse_rate("4") == 4
