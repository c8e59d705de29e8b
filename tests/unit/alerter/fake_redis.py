"""An in-memory stand-in for the few asyncio Redis commands the alerter uses (unit tests have no
sockets). It records TTLs so tests can check that growing keys expire; it does not expire them."""

from __future__ import annotations

from typing import Any


def _b(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode()


class FakeRedis:
    """Strings, lists, hashes and one sorted set; single-threaded, so every command is atomic."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.ttl: dict[str, float] = {}
        self.fail = False  # set to simulate Redis being down

    def _check(self) -> None:
        if self.fail:
            raise ConnectionError("fake redis down")

    async def get(self, key: str) -> bytes | None:
        self._check()
        value = self.data.get(key)
        return value if isinstance(value, bytes) or value is None else None

    async def set(
        self, key: str, value: Any, nx: bool = False, ex: int | None = None, px: int | None = None
    ) -> bool | None:
        self._check()
        if nx and key in self.data:
            return None
        self.data[key] = _b(value)
        if ex is not None:
            self.ttl[key] = ex
        elif px is not None:
            self.ttl[key] = px / 1000
        else:
            self.ttl.pop(key, None)
        return True

    async def delete(self, *keys: str) -> int:
        self._check()
        n = 0
        for k in keys:
            n += self.data.pop(k, None) is not None
            self.ttl.pop(k, None)
        return n

    async def exists(self, key: str) -> int:
        self._check()
        return int(key in self.data)

    async def expire(self, key: str, seconds: int) -> bool:
        if key in self.data:
            self.ttl[key] = seconds
            return True
        return False

    async def incr(self, key: str) -> int:
        self._check()
        value = int(self.data.get(key, b"0")) + 1
        self.data[key] = _b(value)
        return value

    async def rpush(self, key: str, *values: Any) -> int:
        self._check()
        lst = self.data.setdefault(key, [])
        lst.extend(_b(v) for v in values)
        return len(lst)

    async def lrange(self, key: str, start: int, end: int) -> list[bytes]:
        lst = self.data.get(key, [])
        return list(lst[start : (None if end == -1 else end + 1)])

    async def rename(self, src: str, dst: str) -> bool:
        self._check()
        if src not in self.data:
            raise KeyError("no such key")
        self.data[dst] = self.data.pop(src)
        if src in self.ttl:
            self.ttl[dst] = self.ttl.pop(src)
        return True

    async def zadd(self, key: str, mapping: dict[str, float], nx: bool = False) -> int:
        self._check()
        z = self.data.setdefault(key, {})
        added = sum(1 for m in mapping if m not in z)
        z.update({m: float(s) for m, s in mapping.items() if not (nx and m in z)})
        return added

    async def zrem(self, key: str, *members: str) -> int:
        self._check()
        z = self.data.get(key, {})
        n = sum(1 for m in members if z.pop(m, None) is not None)
        if not z:
            self.data.pop(key, None)
        return n

    async def zscore(self, key: str, member: str) -> float | None:
        self._check()
        score: float | None = self.data.get(key, {}).get(member)
        return score

    async def zcard(self, key: str) -> int:
        return len(self.data.get(key, {}))

    async def zrangebyscore(
        self, key: str, lo: Any, hi: Any, start: int = 0, num: int | None = None
    ) -> list[bytes]:
        self._check()
        low = float("-inf") if lo == "-inf" else float(lo)
        high = float("inf") if hi == "+inf" else float(hi)
        items = sorted((s, m) for m, s in self.data.get(key, {}).items() if low <= s <= high)
        members = [m.encode() for _, m in items]
        return members[start : start + num if num is not None else None]

    async def hset(self, key: str, field: str, value: Any) -> int:
        self._check()
        h = self.data.setdefault(key, {})
        new = field not in h
        h[field] = _b(value)
        return int(new)

    async def hgetall(self, key: str) -> dict[bytes, bytes]:
        self._check()
        return {k.encode() if isinstance(k, str) else k: v for k, v in self.data.get(key, {}).items()}

    async def hdel(self, key: str, *fields: Any) -> int:
        h = self.data.get(key, {})
        n = 0
        for f in fields:
            name = f.decode() if isinstance(f, bytes) else f
            n += h.pop(name, None) is not None
        return n

    async def aclose(self) -> None:
        return None

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self)


class FakePipeline:
    """Queues commands and runs them in order on ``execute`` (atomic: nothing else interleaves)."""

    def __init__(self, redis: FakeRedis) -> None:
        self.redis = redis
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.calls.clear()

    def __getattr__(self, name: str) -> Any:
        def queue(*args: Any, **kwargs: Any) -> FakePipeline:
            self.calls.append((name, args, kwargs))
            return self

        return queue

    async def execute(self) -> list[Any]:
        self.redis._check()
        results = [await getattr(self.redis, name)(*args, **kwargs) for name, args, kwargs in self.calls]
        self.calls.clear()
        return results
