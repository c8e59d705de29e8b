"""Slack Block Kit messages: a header naming the story, what changed, key facts and entities,
sources with links, first/last seen and the story id. All feed text is escaped (``mrkdwn``) and
every field stays within Slack's limits, truncated on a character boundary with an ellipsis."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.alerter.alert import Alert, AlertStory
from services.alerter.mrkdwn import escape, link, truncate_mrkdwn
from shared.messages import Entity, Fact

# Slack limits (https://api.slack.com/reference/block-kit/blocks)
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
CONTEXT_MAX_ELEMENTS = 10
FALLBACK_MAX = 3000

SOURCES_LISTED = 8
FACTS_LISTED = 8
ENTITIES_LISTED = 12

Block = dict[str, Any]

KIND_LABEL = {"new_story": "New story", "development": "Update", "digest": "Digest", "test": "Test"}


def number(value: float) -> str:
    """``10000`` -> ``10,000``; keeps decimals only when there are any."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def when(moment: datetime | None) -> str:
    """A UTC time for humans."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


def entity_name(entity_id: str, entities: list[Entity]) -> str:
    """A display name: the first surface form seen, else the id without its type."""
    for e in entities:
        if e.id == entity_id and e.surface_forms:
            return e.surface_forms[0]
    return entity_id.split(":", 1)[-1].replace("-", " ")


def fact_text(fact: Fact, entities: list[Entity]) -> str:
    """``troop count: 10,000 troops (North Korea, Kursk)`` as plain (unescaped) text."""
    where = [entity_name(x, entities) for x in (fact.actor, fact.place) if x]
    tail = f" ({', '.join(where)})" if where else ""
    return f"{fact.type.replace('_', ' ')}: {number(fact.value)} {fact.unit}{tail}"


def changes_text(story: AlertStory) -> str:
    """What changed, joined: ``troop estimate 1,500 -> 10,000; NATO confirms units in Kursk``."""
    return "; ".join(c.summary for c in story.changes)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, SECTION_TEXT_MAX)}}


def _header(text: str) -> Block:
    # Slack decodes &amp; &lt; &gt; in plain_text too; escaping keeps a title like "<!channel>" inert
    # everywhere, and truncate_mrkdwn never cuts an entity in half.
    text = truncate_mrkdwn(escape(text), HEADER_MAX)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _context(parts: list[str]) -> Block:
    elements = [{"type": "mrkdwn", "text": truncate_mrkdwn(p, SECTION_TEXT_MAX)} for p in parts]
    return {"type": "context", "elements": elements[:CONTEXT_MAX_ELEMENTS]}


def _bullets(lines: list[str], total: int, limit: int) -> str:
    text = "\n".join(f"• {ln}" for ln in lines)
    if total > len(lines):
        text += f"\n…and {total - len(lines)} more"
    return truncate_mrkdwn(text, limit)


def sources_summary(story: AlertStory) -> str:
    """``5 outlets, 3 languages (en, ko, ru)``."""
    snap = story.story
    outlets = {s.source for s in snap.sources} or {story.article.source}
    langs = sorted(set(snap.languages) or {s.lang for s in snap.sources} or {story.article.lang})
    return (
        f"{len(outlets)} outlet{'s' if len(outlets) != 1 else ''}, "
        f"{len(langs)} language{'s' if len(langs) != 1 else ''} ({', '.join(langs)})"
    )


def story_blocks(story: AlertStory, kind: str) -> list[Block]:
    """The blocks of one story (header included)."""
    snap = story.story
    blocks: list[Block] = [_header(f"{KIND_LABEL.get(kind, kind)}: {snap.title}")]
    if story.changes:
        blocks.append(_section(f"*What changed:* {escape(changes_text(story))}"))
    art = story.article
    blocks.append(
        _section(f"*Latest:* {link(art.url, art.title)} — {escape(art.source)} ({escape(art.lang)})")
    )
    fields = []
    if snap.facts:
        lines = [escape(fact_text(f, snap.entities)) for f in snap.facts[:FACTS_LISTED]]
        fields.append(
            {"type": "mrkdwn", "text": "*Key facts*\n" + _bullets(lines, len(snap.facts), FIELD_MAX - 20)}
        )
    if snap.entities:
        top = sorted(snap.entities, key=lambda e: -e.count)[:ENTITIES_LISTED]
        names = ", ".join(escape(entity_name(e.id, snap.entities)) for e in top)
        more = f" +{len(snap.entities) - len(top)} more" if len(snap.entities) > len(top) else ""
        fields.append({"type": "mrkdwn", "text": truncate_mrkdwn(f"*Entities*\n{names}{more}", FIELD_MAX)})
    if fields:
        blocks.append({"type": "section", "fields": fields[:MAX_FIELDS]})
    listed = [
        f"{link(s.url, f'{s.source}: {s.title}', 120)} ({escape(s.lang)})"
        for s in snap.sources[:SOURCES_LISTED]
    ]
    head = f"*Sources:* {escape(sources_summary(story))}"
    blocks.append(
        _section(
            head
            + ("\n" + _bullets(listed, len(snap.sources), SECTION_TEXT_MAX - len(head) - 1) if listed else "")
        )
    )
    blocks.append(
        _context(
            [
                f"First seen {when(snap.first_seen)}",
                f"Last seen {when(snap.last_seen)}",
                f"{snap.member_count} article{'s' if snap.member_count != 1 else ''}",
                f"Story `{escape(story.story_id)}`",
                f"Watchlist `{escape(story.watchlist)}`",
            ]
        )
    )
    return blocks


def digest_blocks(alert: Alert) -> list[Block]:
    """A digest: a header, one section per story (as many as fit in 50 blocks), a footer."""
    reason = (alert.digest_reason or "").replace("_", " ")
    n = len(alert.stories)
    blocks: list[Block] = [_header(f"Digest: {n} stor{'y' if n == 1 else 'ies'} held back ({reason})")]
    room = MAX_BLOCKS - 3
    for story in alert.stories[:room]:
        changed = f"\n*What changed:* {escape(changes_text(story))}" if story.changes else ""
        blocks.append(
            _section(
                f"*{KIND_LABEL[story.kind]}:* {link(story.article.url, story.story.title, 200)}{changed}\n"
                f"{escape(sources_summary(story))} · last seen {when(story.story.last_seen)} · "
                f"story `{escape(story.story_id)}`"
            )
        )
    if n > room:
        blocks.append(_section(f"…and {n - room} more stories (see the delivery log)"))
    blocks.append(_context([f"Route `{escape(alert.route)}`", f"Alert `{alert.alert_id}`"]))
    return blocks


def fallback_text(alert: Alert) -> str:
    """The top-level ``text`` (notifications, screen readers), escaped and bounded."""
    if alert.kind == "digest":
        titles = "; ".join(s.story.title for s in alert.stories[:5])
        text = f"Digest: {len(alert.stories)} stories ({alert.digest_reason}): {titles}"
    else:
        story = alert.main
        text = f"{KIND_LABEL[alert.kind]}: {story.story.title}"
        if story.changes:
            text += f" — {changes_text(story)}"
    return truncate_mrkdwn(escape(text), FALLBACK_MAX)


def slack_message(alert: Alert) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook."""
    if alert.kind == "digest":
        blocks = digest_blocks(alert)
    else:
        blocks = story_blocks(alert.main, alert.kind)
        blocks[-1]["elements"] = [
            *blocks[-1]["elements"],
            {"type": "mrkdwn", "text": f"Route `{escape(alert.route)}`"},
        ]
        blocks[-1]["elements"] = blocks[-1]["elements"][:CONTEXT_MAX_ELEMENTS]
    return {
        "text": fallback_text(alert),
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def console_text(alert: Alert) -> str:
    """Human-readable lines for the console channel (plain text, control characters removed)."""
    lines: list[str] = []
    stories = alert.stories
    if alert.kind == "digest":
        lines.append(
            f"[wirewatch] DIGEST route={alert.route} ({alert.digest_reason}): {len(stories)} stories"
        )
    for story in stories:
        snap = story.story
        label = KIND_LABEL[story.kind].upper() if alert.kind == "digest" else KIND_LABEL[alert.kind].upper()
        lines.append(
            f"[wirewatch] {label} route={alert.route} watchlist={story.watchlist} story={story.story_id}"
        )
        lines.append(f"  {snap.title}")
        if story.changes:
            lines.append(f"  what changed: {changes_text(story)}")
        if snap.facts:
            lines.append(
                "  facts: " + "; ".join(fact_text(f, snap.entities) for f in snap.facts[:FACTS_LISTED])
            )
        lines.append(
            f"  sources: {sources_summary(story)}; latest: {story.article.source} {story.article.url}"
        )
        lines.append(f"  first seen {when(snap.first_seen)}, last seen {when(snap.last_seen)}")
    return "\n".join("".join(ch for ch in ln if ch.isprintable()) for ln in lines) + "\n"
