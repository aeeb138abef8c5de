"""Real HTTP servers on loopback addresses for the web tests.

`local_server` is one started server on 127.0.0.1; `start_server(host=...)` starts more (say on
127.0.0.2). Routes can be added at any time, before or after the start:

    local_server.route("/feed.xml", text=RSS, content_type="application/rss+xml")
    @local_server.route("/slow")
    async def slow(request): ...

Unknown paths answer 404. Every request is recorded in `server.seen` before its handler runs,
so a test can prove that a refused URL never reached the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

import pytest
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]     # header names lower-cased


class LocalServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port: int | None = None
        self.routes: dict[str, Handler] = {}
        self.seen: list[SeenRequest] = []
        self._runner: web.AppRunner | None = None

    def route(self, path: str, handler: Handler | None = None, *, text: str | None = None,
              body: bytes | None = None, status: int = 200, content_type: str = "text/html",
              charset: str | None = None, headers: dict[str, str] | None = None):
        """Serve `path` with `handler`, or with a fixed response from the keyword arguments.
        Without either it is a decorator."""
        if handler is None and text is None and body is None:
            def register(function: Handler) -> Handler:
                self.routes[path] = function
                return function
            return register
        if handler is None:
            async def handler(request: web.Request) -> web.Response:
                return web.Response(text=text, body=body, status=status, content_type=content_type,
                                    charset=charset, headers=headers)
        self.routes[path] = handler
        return handler

    def url(self, path: str = "/") -> str:
        assert self.port is not None, "start the server first"
        return f"http://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [request for request in self.seen if request.path == path]

    async def start(self) -> "LocalServer":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a client that gives up (timeout, size cap) stops its handler, so a
        # handler sleeping 20 s does not hold the test's teardown for 20 s.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, shutdown_timeout=0.5)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(SeenRequest(request.method, request.path, request.query_string,
                                     {name.lower(): value for name, value in request.headers.items()}))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)


@pytest.fixture
async def start_server():
    """Start a LocalServer: ``await start_server()`` or ``await start_server(host="127.0.0.2")``."""
    servers: list[LocalServer] = []

    async def start(host: str = "127.0.0.1") -> LocalServer:
        server = LocalServer(host)
        servers.append(server)
        return await server.start()

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def local_server(start_server) -> LocalServer:
    return await start_server()
