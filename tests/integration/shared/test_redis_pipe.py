"""The pipelined Redis connection (dedup store, fetcher seen markers) against the real Redis:
replies in order under concurrency, redis-py's error types, script (re)loading, reconnecting after
a lost connection, timeouts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.pipeline import clear_redis_prefix
from shared.redis_pipe import RedisPipe
from shared.redis_store import connect
from tests.kafka_helpers import REDIS_URL

pytestmark = pytest.mark.redis


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A fresh Redis key prefix; its keys are deleted afterwards."""
    name = f"test-pipe-{uuid.uuid4().hex[:10]}:"
    yield name
    await clear_redis_prefix(REDIS_URL, name)


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    redis = connect(REDIS_URL)
    yield redis
    await redis.aclose()


@pytest.fixture
async def pipe(client: aioredis.Redis) -> AsyncIterator[RedisPipe]:
    found = RedisPipe.for_client(client)
    assert found is not None
    yield found
    await found.close()


async def test_concurrent_commands_get_their_own_replies(pipe: RedisPipe, prefix: str) -> None:
    keys = [f"{prefix}k{n}" for n in range(200)]
    await asyncio.gather(*(pipe.execute("SET", k, f"v{n}", "EX", 60) for n, k in enumerate(keys)))
    values = await asyncio.gather(*(pipe.execute("GET", k) for k in keys))
    assert values == [f"v{n}".encode() for n in range(200)]
    assert await pipe.execute("GET", prefix + "missing") is None
    assert await pipe.execute("INCRBY", prefix + "n", 3) == 3
    assert await pipe.execute_many(("EXPIRE", prefix + "n", 60), ("GET", prefix + "n")) == [1, b"3"]
    with pytest.raises(ResponseError):
        await pipe.execute("HGET", keys[0], "field")  # WRONGTYPE: the connection stays usable
    assert await pipe.execute("GET", keys[1]) == b"v1"


async def test_a_script_not_in_the_cache_is_loaded(
    client: aioredis.Redis, pipe: RedisPipe, prefix: str
) -> None:
    source = f"-- {uuid.uuid4().hex}\nreturn {{KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1, false}}"
    script = client.register_script(source)  # registering does not load it into Redis
    reply = await pipe.evalsha(script.sha, source, [prefix + "a"], [b"\x00\xff", 41])
    assert reply == [(prefix + "a").encode(), b"\x00\xff", 42, None]
    # Lua numbers come back as integers (truncated), false as nil
    again = await pipe.evalsha(script.sha, source, [prefix + "b"], ["x", 1.5])
    assert again == [(prefix + "b").encode(), b"x", 2, None]


async def test_a_lost_connection_fails_what_is_in_flight_and_reconnects(
    client: aioredis.Redis, pipe: RedisPipe, prefix: str
) -> None:
    await pipe.execute("SET", prefix + "x", "1", "EX", 60)
    mine = await pipe.execute("CLIENT", "ID")
    in_flight = asyncio.ensure_future(pipe.execute("BLPOP", prefix + "never", 5))
    await asyncio.sleep(0.2)
    await client.execute_command("CLIENT", "KILL", "ID", mine)
    with pytest.raises(RedisConnectionError):
        await in_flight
    assert await pipe.execute("GET", prefix + "x") == b"1"
    assert await pipe.execute("CLIENT", "ID") != mine


async def test_no_reply_within_the_socket_timeout_fails_and_reconnects() -> None:
    connections: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # accepts and never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pipe = RedisPipe("127.0.0.1", port, timeout=0.3, connect_timeout=1)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(RedisTimeoutError):
            await pipe.execute("PING")
        assert asyncio.get_running_loop().time() - started < 2
        with pytest.raises(RedisTimeoutError):
            await pipe.execute("PING")
        assert len(connections) == 2  # the timed-out connection was dropped, the next one is new
    finally:
        await pipe.close()
        server.close()
        await server.wait_closed()


async def test_no_server_is_a_connection_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(RedisConnectionError):
        await RedisPipe("127.0.0.1", port, timeout=1, connect_timeout=1).execute("PING")


def test_only_plain_tcp_clients_get_a_pipe() -> None:
    assert RedisPipe.for_client(aioredis.Redis.from_url("unix:///tmp/none.sock")) is None
    tcp = RedisPipe.for_client(
        aioredis.Redis.from_url("redis://:secret@example.test:6380/3", socket_timeout=2)
    )
    assert tcp is not None and (tcp.host, tcp.port, tcp.db, tcp.password, tcp.timeout) == (
        "example.test",
        6380,
        3,
        "secret",
        2,
    )
