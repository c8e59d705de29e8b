"""A tiny asyncio HTTP server for ``/metrics`` (Prometheus text format) and ``/healthz`` (JSON)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from shared.logs import get_logger

log = get_logger(__name__)

HealthCheck = Callable[[], dict[str, object]]


class HealthServer:
    """Serves /metrics and /healthz; ``health()`` returns a dict with at least ``ok: bool``."""

    def __init__(
        self,
        host: str,
        port: int,
        health: HealthCheck,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self.host, self.port = host, port
        self._health = health
        self._registry = registry
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind and serve in the background. Port 0 picks a free port (see ``self.port``)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("metrics and health on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) >= 2 else "/"
            if path == "/metrics":
                status, ctype, body = 200, CONTENT_TYPE_LATEST, generate_latest(self._registry)
            elif path == "/healthz":
                report = self._health()
                status = 200 if report.get("ok") else 503
                ctype, body = "application/json", json.dumps(report, default=str).encode()
            else:
                status, ctype, body = 404, "text/plain", b"not found\n"
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            head = (
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
