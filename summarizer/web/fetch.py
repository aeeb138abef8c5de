"""Polite, bounded HTTP GETs for feeds and article pages.

Every hop of a redirect chain is checked (summarizer.web.urls) before anything is sent to it,
robots.txt is honoured, each host gets at most `per_host` requests at a time, each exchange has
one deadline for connect and the whole body, and a body is cut off at `max_bytes` while it
streams. Conditional GETs make an unchanged feed cost a 304."""

from __future__ import annotations

import asyncio
import email.message
import logging
from dataclasses import dataclass
from typing import NamedTuple, Sequence
from urllib.parse import urljoin

import httpx
from protego import Protego

from summarizer.web.urls import CheckedUrl, FetchError, IPNetwork, UrlRefused, check_url_async

__all__ = ["USER_AGENT", "FetchError", "Fetched", "Fetcher", "UrlRefused"]

log = logging.getLogger(__name__)

USER_AGENT = "briefbot/0.1 (a Discord bot for diplomatic news briefings; honours robots.txt)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Google reads the first 500 KiB of a robots.txt; a bigger one is not worth our memory either.
ROBOTS_MAX_BYTES = 500 * 1024


@dataclass(frozen=True)
class Fetched:
    url: str                    # final URL after redirects
    status: int                 # 2xx, or 304 when the caller's ETag / Last-Modified still holds
    body: bytes                 # b"" on 304
    content_type: str           # media type only, lower case ("text/html"); "" when the server sent none
    charset: str | None         # from the Content-Type header, if any
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Reply(NamedTuple):
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes


class Fetcher:
    """One per process or poll round: it holds the connection pool, the per-host limits and the
    robots.txt cache. Use as ``async with Fetcher() as fetcher``."""

    def __init__(self, *, allow_private: bool = False, timeout_s: float = 15.0, max_bytes: int = 10_000_000,
                 per_host: int = 2, max_redirects: int = 5, respect_robots: bool = True,
                 blocked_networks: Sequence[IPNetwork] = (), user_agent: str = USER_AGENT) -> None:
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.per_host = per_host
        self.max_redirects = max_redirects
        self.respect_robots = respect_robots
        self.blocked_networks = tuple(blocked_networks)
        self.user_agent = user_agent
        # robots.txt groups are named by product token; matching on the whole User-Agent would let a
        # "User-agent: news" group catch us through the words of our comment.
        self._robots_token = user_agent.split("/", 1)[0].split()[0]
        # trust_env=False: a proxy from the environment would connect to addresses we never checked.
        self._client = httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(timeout_s), trust_env=False,
                                         headers={"User-Agent": user_agent})
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                  accept: str | None = None) -> Fetched:
        """The response to GET `url`, following redirects; FetchError (UrlRefused for a URL we will
        not fetch) otherwise. With `etag` / `last_modified` from an earlier Fetched, an unchanged
        resource comes back as status 304 with an empty body and those validators."""
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        final_url, reply = await self._follow(url, headers, check_robots=self.respect_robots,
                                              max_bytes=self.max_bytes)
        if reply.status == 304 or 200 <= reply.status < 300:
            content_type = reply.headers.get("content-type", "")
            return Fetched(url=final_url, status=reply.status, body=reply.body,
                           content_type=content_type.split(";", 1)[0].strip().lower(),
                           charset=_charset(reply.headers),
                           # A 304 need not repeat the validators; the caller's still hold.
                           etag=reply.headers.get("etag") or (etag if reply.status == 304 else None),
                           last_modified=reply.headers.get("last-modified")
                           or (last_modified if reply.status == 304 else None))
        raise _status_error(final_url, reply)

    async def _follow(self, url: str, headers: dict[str, str], *, check_robots: bool,
                      max_bytes: int) -> tuple[str, _Reply]:
        seen: set[str] = set()
        current = url
        for _hop in range(self.max_redirects + 1):
            checked = await check_url_async(current, allow_private=self.allow_private,
                                            blocked_networks=self.blocked_networks)
            if checked.url in seen:
                raise FetchError(f"redirect loop: {url} leads back to {checked.url}", url=url)
            seen.add(checked.url)
            if check_robots:
                await self._require_robots_allow(checked)
            reply = await self._exchange(checked, headers, max_bytes)
            if reply.status not in REDIRECT_STATUSES:
                return checked.url, reply
            location = reply.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {reply.status} redirect without a Location header from {checked.url}",
                                 url=checked.url, status=reply.status)
            current = urljoin(checked.url, location)
            log.debug("redirect %s -> %s", checked.url, current)
        raise FetchError(f"more than {self.max_redirects} redirects from {url}", url=url)

    async def _exchange(self, checked: CheckedUrl, headers: dict[str, str], max_bytes: int) -> _Reply:
        slot = self._host_slots.setdefault(checked.host, asyncio.Semaphore(self.per_host))
        async with slot:
            try:
                # One deadline for connect, headers and body: httpx's own timeouts are per read, so
                # a server trickling a byte a second would never trip them.
                async with asyncio.timeout(self.timeout_s):
                    return await self._send(checked, headers, max_bytes)
            except (TimeoutError, httpx.TimeoutException):
                raise FetchError(f"no complete response from {checked.host} within {self.timeout_s:g} s "
                                 f"({checked.url})", url=checked.url, retryable=True) from None
            except httpx.ConnectError as exc:
                raise FetchError(f"cannot connect to {checked.host}: {_reason(exc)}", url=checked.url,
                                 retryable=True) from None
            except httpx.DecodingError as exc:
                raise FetchError(f"the response from {checked.url} could not be decoded: {_reason(exc)}",
                                 url=checked.url) from None
            except httpx.TransportError as exc:
                raise FetchError(f"the connection to {checked.host} failed: {_reason(exc)}", url=checked.url,
                                 retryable=True) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch {checked.url}: {_reason(exc)}", url=checked.url) from None

    async def _send(self, checked: CheckedUrl, headers: dict[str, str], max_bytes: int) -> _Reply:
        target = httpx.URL(checked.url)
        request_headers = dict(headers)
        if target.scheme == "http":
            # Connect to an address that was checked: resolving again could give another one (DNS
            # rebinding). Over https the certificate must match the host name, which an address
            # rebound to a private service cannot present, so https keeps its name (and SNI).
            request_headers["Host"] = target.netloc.decode("ascii")
            targets = [target.copy_with(host=str(address)) for address in checked.addresses]
        else:
            targets = [target]
        for attempt, url in enumerate(targets, 1):
            try:
                response = await self._client.send(self._client.build_request("GET", url, headers=request_headers),
                                                   stream=True)
            except httpx.ConnectError:
                if attempt == len(targets):
                    raise
                continue
            try:
                if response.status_code == 304 or not 200 <= response.status_code < 300:
                    return _Reply(response.status_code, response.reason_phrase, response.headers, b"")
                body = await _read_capped(response, checked.url, max_bytes)
                return _Reply(response.status_code, response.reason_phrase, response.headers, body)
            finally:
                await response.aclose()
        raise AssertionError("unreachable: check_url_async returns at least one address")

    async def _require_robots_allow(self, checked: CheckedUrl) -> None:
        origin = _origin(checked.url)
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        if rules is not None and not rules.can_fetch(checked.url, self._robots_token):
            raise UrlRefused(f"{checked.url} is disallowed by robots.txt", url=checked.url)

    async def _load_robots(self, origin: str) -> Protego | None:
        """The site's rules, or None to allow everything (no robots.txt, or none we could read)."""
        robots_url = origin + "/robots.txt"
        try:
            _, reply = await self._follow(robots_url, {}, check_robots=False, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as exc:
            log.debug("robots.txt unavailable, allowing all: %s", exc)
            return None
        if reply.status != 200:
            # 4xx: the site has no rules for us; 5xx: treat as temporarily none rather than stop polling.
            log.debug("robots.txt at %s: HTTP %s, allowing all", robots_url, reply.status)
            return None
        try:
            return Protego.parse(reply.body.decode("utf-8", errors="replace"))
        except Exception as exc:  # a malformed file is the site's problem, not a reason to crash a poll
            log.debug("robots.txt at %s unreadable, allowing all: %s", robots_url, exc)
            return None


async def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"too large: {url} is {int(declared):,} bytes, the limit is {max_bytes:,}", url=url)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decoded bytes, so a gzip bomb counts at its real size
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"too large: {url} is more than {max_bytes:,} bytes", url=url)
        chunks.append(chunk)
    return b"".join(chunks)


def _status_error(url: str, reply: _Reply) -> FetchError:
    # Servers recover from overload and outages; a missing or forbidden page stays so.
    retryable = reply.status >= 500 or reply.status in (408, 429)
    reason = f" {reply.reason}" if reply.reason else ""
    return FetchError(f"HTTP {reply.status}{reason} from {url}", url=url, status=reply.status, retryable=retryable)


def _charset(headers: httpx.Headers) -> str | None:
    message = email.message.Message()  # the standard library's MIME parameter parsing (quotes, case)
    message["content-type"] = headers.get("content-type", "")
    return message.get_content_charset()


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
