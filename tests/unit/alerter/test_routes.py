"""alerting.yaml: the shipped file loads; mistakes are reported with file, route and field;
secrets come from the environment or a secrets file and never show up in reprs or errors;
a bad edit keeps the last good config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.alerter.routes import load_alerting
from services.alerter.secrets import load_secrets_file
from shared.config_watch import ConfigWatcher
from shared.errors import ConfigError
from tests.unit.alerter.factories import WEBHOOK_ENV, config_file, event

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "alerting.yaml"
URL = WEBHOOK_ENV["HOOK_URL"]
KEY = WEBHOOK_ENV["HOOK_SECRET"]


def test_shipped_config_loads_without_secrets_and_routes_to_console() -> None:
    cfg = load_alerting(SHIPPED, env={})
    assert cfg.channels["console"].disabled is None
    assert cfg.channels["ops-slack"].disabled and cfg.channels["partner-webhook"].disabled
    assert [r.name for r in cfg.matching(event("new_story", sources=1))] == ["console"]
    assert "route partner inactive: all its channels are disabled" in cfg.warnings
    with_partner = load_alerting(
        SHIPPED, env={"WIREWATCH_WEBHOOK_URL_PARTNER": URL, "WIREWATCH_WEBHOOK_SECRET_PARTNER": KEY}
    )
    assert [r.name for r in with_partner.matching(event("new_story", sources=1))] == ["console", "partner"]
    assert cfg.matching(event("member")) == []


def test_secrets_masked_everywhere(tmp_path: Path) -> None:
    cfg = load_alerting(config_file(tmp_path, "  - name: r\n    channels: [hook]\n"), env=WEBHOOK_ENV)
    hook = cfg.channels["hook"]
    assert hook.url is not None and hook.url.reveal() == URL
    assert hook.signing_key is not None and hook.signing_key.reveal() == KEY
    for text in (repr(cfg), str(cfg), repr(hook), f"{hook}"):
        assert URL not in text and KEY not in text and "***" in text


def test_secrets_from_a_secrets_file_in_env_and_yaml_format(tmp_path: Path) -> None:
    env_file = tmp_path / "s.env"
    env_file.write_text(f"# comment\nHOOK_URL={URL}\nexport HOOK_SECRET='{KEY}'\n")
    yaml_file = tmp_path / "s.yaml"
    yaml_file.write_text(f"HOOK_URL: {URL}\nHOOK_SECRET: {KEY}\n")
    assert load_secrets_file(env_file) == WEBHOOK_ENV
    assert load_secrets_file(yaml_file) == WEBHOOK_ENV
    path = config_file(tmp_path, "  - name: r\n    channels: [hook]\n")
    for secrets in (env_file, yaml_file):
        cfg = load_alerting(path, secrets_file=secrets, env={})
        assert cfg.channels["hook"].signing_key is not None
    # the YAML may name the file (relative to itself); the environment wins over the file
    path.write_text(path.read_text().replace("version: 1\n", "version: 1\nsecrets_file: s.env\n"))
    cfg = load_alerting(path, env={"HOOK_URL": "https://env.example/"})
    assert (
        cfg.channels["hook"].url is not None and cfg.channels["hook"].url.reveal() == "https://env.example/"
    )


@pytest.mark.parametrize(
    ("routes", "env", "expected"),
    [
        (
            "  - name: r\n    channels: [nope]\n",
            WEBHOOK_ENV,
            "routes[0] (r).channels: unknown channel 'nope'",
        ),
        (
            "  - name: ops\n    channels: [hook]\n    throttle:\n      min_interval_seconds: -1\n",
            WEBHOOK_ENV,
            "routes[0] (ops).throttle.min_interval_seconds: Input should be greater than or equal to 0",
        ),
        (
            "  - name: ops\n    channels: [hook]\n    quiet_hours: {start: '25:00', end: '07:00'}\n",
            WEBHOOK_ENV,
            "routes[0] (ops).quiet_hours.start: must be HH:MM",
        ),
        (
            "  - name: ops\n    channels: [hook]\n"
            "    quiet_hours: {start: '22:00', end: '07:00', timezone: Mars/Base}\n",
            WEBHOOK_ENV,
            "unknown time zone 'Mars/Base'",
        ),
        (
            "  - name: ops\n    channels: [hook]\n    chanels: [hook]\n",
            WEBHOOK_ENV,
            "routes[0] (ops).chanels: Extra inputs are not permitted",
        ),
        (
            "  - name: a\n    channels: [hook]\n  - name: a\n    channels: [hook]\n",
            WEBHOOK_ENV,
            "duplicate route name",
        ),
        ("  - name: Bad Name\n    channels: [hook]\n", WEBHOOK_ENV, "routes[0] (Bad Name).name"),
        ("  - name: r\n    channels: [hook]\n", {"HOOK_URL": URL}, "channels.hook: HOOK_SECRET not set"),
        (
            "  - name: r\n    channels: [hook]\n",
            {**WEBHOOK_ENV, "HOOK_URL": "ftp://secret-host/x"},
            "channels.hook: HOOK_URL does not hold an http(s) URL",
        ),
    ],
)
def test_config_errors_name_file_route_and_field(
    tmp_path: Path, routes: str, env: dict[str, str], expected: str
) -> None:
    path = config_file(tmp_path, routes)
    with pytest.raises(ConfigError) as info:
        load_alerting(path, env=env)
    message = str(info.value)
    assert str(path) in message and expected in message, message
    assert "secret-host" not in message and KEY not in message


async def test_bad_edit_keeps_the_last_good_config(tmp_path: Path) -> None:
    path = config_file(tmp_path, "  - name: r\n    channels: [hook]\n")
    env = dict(WEBHOOK_ENV)
    watcher = ConfigWatcher("alerting", "alerter", lambda: [path], lambda: load_alerting(path, env=env))
    path.write_text(path.read_text().replace("channels: [hook]", "channels: [missing]"))
    os.utime(path, ns=(1, 1))
    assert await watcher.check() is False
    assert watcher.current.route("r") is not None and "missing" in (watcher.last_error or "")
    path.write_text(path.read_text().replace("name: r\n", "name: r2\n").replace("[missing]", "[slack]"))
    os.utime(path, ns=(2, 2))
    assert await watcher.check() is True
    assert watcher.current.route("r2") is not None
