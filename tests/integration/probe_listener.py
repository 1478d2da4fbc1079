"""A loopback HTTP listener that every collector probe is pointed at (``probe_overrides``)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class ProbeListener:
    port: int = 0
    peers: list[str] = field(default_factory=list)

    @property
    def overrides(self) -> dict[str, str]:
        return {"*": f"127.0.0.1:{self.port}"}


@asynccontextmanager
async def probe_listener():
    """Answers any request with ``HTTP/1.1 200`` and records who connected."""
    state = ProbeListener()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.peers.append(writer.get_extra_info("peername")[0])
        try:
            await asyncio.wait_for(reader.read(4096), 2)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
