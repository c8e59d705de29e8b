"""Charset detection for fetched bytes: BOM, valid UTF-8, the declared charset (HTTP header or
``<meta>``/XML declaration), mostly-valid UTF-8, then charset_normalizer's guess.

UTF-8 is tried before a declared charset because a page that is valid UTF-8 is almost never in
another encoding, while wrong declarations (``iso-8859-1`` on UTF-8 pages) are common.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_MAX_BAD_UTF8_RATIO = 0.005


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset named by the Content-Type header, else by the document itself."""
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match and _codec(match.group(1)):
            return _codec(match.group(1))
    head = body[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        found = pattern.search(head)
        if found:
            codec = _codec(found.group(1).decode("ascii", "ignore"))
            if codec:
                return codec
    return None


def _repair_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", "replace"), error.end


_CP1252_REPAIR = "wirewatch-cp1252-repair"
codecs.register_error(_CP1252_REPAIR, _repair_as_cp1252)


def _mostly_utf8(body: bytes, declared_utf8: bool) -> bool:
    """True when invalid UTF-8 bytes are rare (5% of the body when declared UTF-8, else 1%)."""
    invalid = body.decode("utf-8", "replace").count("\ufffd")
    return invalid <= len(body) * (0.05 if declared_utf8 else 0.01)


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Bytes -> (text, encoding used). Never raises; undecodable bytes become U+FFFD."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, "replace"), name
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_charset(body, content_type)
    if declared and declared != "utf-8":
        try:
            return body.decode(declared), declared
        except UnicodeDecodeError:
            pass
    lenient = body.decode("utf-8", "replace")
    if lenient.count("\ufffd") <= max(2, len(lenient) * _MAX_BAD_UTF8_RATIO):
        return lenient, "utf-8"
    if declared in (None, "utf-8") and _mostly_utf8(body, declared == "utf-8"):
        # UTF-8 with stray single-byte characters (a CMS pasting Latin-1 into UTF-8): keep the
        # UTF-8 and read only the invalid bytes as cp1252, instead of re-decoding everything.
        return body.decode("utf-8", _CP1252_REPAIR), "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, "replace"), best.encoding
    return body.decode("cp1252", "replace"), "cp1252"
