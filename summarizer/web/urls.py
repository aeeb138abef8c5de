"""Which URLs the bot may fetch: http(s) only, no credentials, and (unless private addresses are
allowed) no host that resolves to this machine, the local network or a cloud metadata service.

A feed or article URL comes from a Discord user; without this check `/ingest` would let anyone
make the bot read its own admin ports or the cloud provider's credentials endpoint."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Sequence

import httpx

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchError(Exception):
    """A fetch that did not give a usable response; str() is one line for the user.

    It lives here rather than in fetch.py because a refused URL is one kind of it, and fetch.py
    builds on this module, not the other way round."""

    def __init__(self, message: str, *, url: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retryable = retryable


class UrlRefused(FetchError):
    """The URL is not one the bot will fetch; asking again will not change that."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message, url=url, retryable=False)


@dataclass(frozen=True)
class CheckedUrl:
    url: str                            # normalised: lower-case scheme and host, no default port, no fragment
    host: str                           # as resolved: IDNA-encoded name or IP literal without brackets
    port: int
    addresses: tuple[IPAddress, ...]    # every address the host resolved to, all of them allowed


def check_url(url: str, *, allow_private: bool, blocked_networks: Sequence[IPNetwork] = ()) -> str:
    """The normalised URL; UrlRefused with the reason, or FetchError when the host does not
    resolve. Resolves the host, blocking: from a coroutine use :func:`check_url_async`."""
    parsed, host, port = _parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _unresolvable(url, host, exc) from None
    return _judge(url, parsed, host, port, infos, allow_private, blocked_networks).url


async def check_url_async(url: str, *, allow_private: bool,
                          blocked_networks: Sequence[IPNetwork] = ()) -> CheckedUrl:
    """As :func:`check_url`, resolving in the loop's executor; also returns the allowed addresses
    so the caller can connect to exactly those (a second lookup could answer differently)."""
    parsed, host, port = _parse(url)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _unresolvable(url, host, exc) from None
    return _judge(url, parsed, host, port, infos, allow_private, blocked_networks)


def refusal_reason(address: IPAddress, *, allow_private: bool, blocked_networks: Sequence[IPNetwork] = ()) -> str | None:
    """Why connecting to this address is refused ("a private … address"), or None when it is allowed."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:127.0.0.1 reaches 127.0.0.1
        address = mapped
    for network in blocked_networks:
        if address.version == network.version and address in network:
            return f"in the blocked network {network}"
    if allow_private:
        return None
    # is_global is False for loopback, RFC 1918, link-local (and so 169.254.169.254, the metadata
    # service), 100.64/10, 0/8, unique-local fc00::/7 and the documentation ranges; multicast and
    # reserved addresses can be "global" yet are never a web server.
    if not address.is_global:
        return "a private, loopback or link-local address"
    if address.is_multicast or address.is_reserved:
        return "a multicast or reserved address"
    return None


def _parse(url: str) -> tuple[httpx.URL, str, int]:
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UrlRefused(f"not a valid URL: {text[:200]!r} ({exc})", url=text) from None
    scheme = parsed.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        if not scheme:
            raise UrlRefused(f"not a web address (it needs http:// or https://): {text[:200]!r}", url=text)
        raise UrlRefused(f"only http and https URLs can be fetched, not {scheme}: ({text[:200]})", url=text)
    host = parsed.host.lower()
    if not host:
        raise UrlRefused(f"the URL has no host: {text[:200]}", url=text)
    if parsed.userinfo:
        raise UrlRefused(f"URLs with a user name or password are not accepted: {_without_userinfo(parsed)}",
                         url=_without_userinfo(parsed))
    port = parsed.port or DEFAULT_PORTS[scheme]
    normal = parsed.copy_with(scheme=scheme, fragment=None,
                              port=None if port == DEFAULT_PORTS[scheme] else port,
                              path=parsed.path or "/")
    # Resolution needs the ASCII (IDNA) form of an international name.
    return normal, parsed.raw_host.decode("ascii").lower(), port


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _without_userinfo(parsed: httpx.URL) -> str:
    return str(parsed.copy_with(username=None, password=None))


def _unresolvable(url: str, host: str, exc: socket.gaierror) -> FetchError:
    # A name that does not exist stays that way; a failing resolver may recover by the next poll.
    permanent = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
    return FetchError(f"cannot resolve host {host} ({exc.strerror or exc})", url=url, retryable=not permanent)


def _judge(url: str, parsed: httpx.URL, host: str, port: int, infos, allow_private: bool,
           blocked_networks: Sequence[IPNetwork]) -> CheckedUrl:
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])  # drop an IPv6 zone index
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"cannot resolve host {host} (no addresses)", url=url, retryable=True)
    # Every address must pass: the connection may go to any of them.
    for address in addresses:
        reason = refusal_reason(address, allow_private=allow_private, blocked_networks=blocked_networks)
        if reason:
            where = f"{host} is" if _is_ip_literal(host) else f"{host} resolves to {address},"
            raise UrlRefused(f"refused {str(parsed)[:200]}: {where} {reason}", url=str(parsed))
    # IPv4 first: many hosts (and containers) have no IPv6 route even when a name has AAAA records.
    addresses.sort(key=lambda address: address.version)
    return CheckedUrl(url=str(parsed), host=host, port=port, addresses=tuple(addresses))
