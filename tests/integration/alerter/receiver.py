"""A local HTTP receiver for alerter tests: webhook endpoint and fake Slack on 127.0.0.1.

It answers from a script of (status, headers) and then 200, records every request, and can be
stopped and started again on the same port (endpoint down for a while). With ``gate`` cleared it
holds requests unanswered; a held request whose client dies is dropped, never counted as
accepted — so "accepted" means exactly "the receiver said 2xx to a live client".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One request as received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Programmable endpoint; see the module docstring."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    accepted: list[Request] = field(default_factory=list)
    dropped: int = 0
    port: int = 0
    delay: float = 0.0

    def __post_init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.changed = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse connections from now on and cut the open ones."""
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def keys(self, path: str = "/hook") -> list[str]:
        """Idempotency keys of accepted webhook requests (repeats included)."""
        return [r.headers.get("x-wirewatch-idempotency-key", "") for r in self.accepted if r.path == path]

    async def wait_accepted(self, n: int, timeout: float, path: str | None = None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len([r for r in self.accepted if path is None or r.path == path]) < n:
            if loop.time() > deadline:
                raise TimeoutError(f"{len(self.accepted)} accepted, wanted {n}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.2)

    async def _read(self, reader: asyncio.StreamReader) -> Request | None:
        line = await reader.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Request(method, path, headers, body)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    req = await self._read(reader)
                except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                    return
                if req is None:
                    return
                self.requests.append(req)
                if not self.gate.is_set():
                    eof = asyncio.ensure_future(reader.read(1))
                    gate = asyncio.ensure_future(self.gate.wait())
                    done, _ = await asyncio.wait({eof, gate}, return_when=asyncio.FIRST_COMPLETED)
                    if eof in done:  # the client died while we held its request: never accepted
                        gate.cancel()
                        self.dropped += 1
                        return
                    eof.cancel()
                if self.delay:
                    await asyncio.sleep(self.delay)
                status, extra = self.script.pop(0) if self.script else (200, {})
                req.status = status
                body = b"ok" if status < 300 else b"error"
                head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nContent-Type: text/plain\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in extra.items()) + "\r\n"
                writer.write(head.encode() + body)
                try:
                    await writer.drain()
                except ConnectionError:
                    return
                if 200 <= status < 300:
                    self.accepted.append(req)
                self.changed.set()
        finally:
            self._writers.discard(writer)
            writer.close()
