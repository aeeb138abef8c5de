"""summarizer.web.urls and summarizer.web.fetch against real servers on loopback addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import pytest
from aiohttp import web

from summarizer.web.fetch import USER_AGENT, FetchError, Fetched, Fetcher
from summarizer.web.urls import UrlRefused, check_url, check_url_async

PAGE = "<html><head><title>Talks</title></head><body><p>The ministers met.</p></body></html>"


@pytest.fixture
async def fetcher():
    # The servers live on 127.0.0.1, which is private: these tests opt in, as BRIEFBOT_ALLOW_PRIVATE_URLS does.
    async with Fetcher(allow_private=True, timeout_s=5.0) as opened:
        yield opened


# --- check_url ------------------------------------------------------------------------------

@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "only http and https"),
    ("ftp://example.com/report.txt", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("example.com/news", "needs http:// or https://"),
    ("http:///news", "no host"),
    ("http://user:secret@example.com/", "user name or password"),
    ("http://localhost/", "localhost resolves to 127.0.0.1"),
    ("http://[::1]/", "::1 is a private"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a private"),
    ("http://10.0.0.1/", "10.0.0.1 is a private"),
    ("http://172.16.8.9/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "private"),
    ("http://0.0.0.0/", "private"),
    ("http://[fc00::1]/", "private"),
    ("http://[fe80::1]/", "private"),
    ("http://[::ffff:127.0.0.1]/", "private"),       # IPv4-mapped IPv6
    ("http://2130706433/", "resolves to 127.0.0.1"),  # 127.0.0.1 written as one decimal number
    ("http://0x7f000001/", "resolves to 127.0.0.1"),  # ... and in hex
    ("http://0177.0.0.1/", "not a valid URL"),        # ... and in octal, which httpx rejects outright
    ("http://224.0.0.1/", "multicast"),
])
def test_check_url_refuses_what_the_bot_must_not_fetch(url, reason):
    with pytest.raises(UrlRefused) as refused:
        check_url(url, allow_private=False)
    message = str(refused.value)
    assert reason in message
    assert "\n" not in message and not refused.value.retryable


def test_check_url_normalises_and_allows_private_addresses_on_request():
    assert check_url("HTTP://LocalHost:80/news?id=1#top", allow_private=True) == "http://localhost/news?id=1"
    assert check_url("http://127.0.0.1:8080", allow_private=True) == "http://127.0.0.1:8080/"
    assert check_url("https://[::1]:443/a", allow_private=True) == "https://[::1]/a"


def test_blocked_networks_are_refused_even_when_private_addresses_are_allowed():
    blocked = [ipaddress.ip_network("127.0.0.2/32")]
    assert check_url("http://127.0.0.3/", allow_private=True, blocked_networks=blocked) == "http://127.0.0.3/"
    with pytest.raises(UrlRefused, match="blocked network 127.0.0.2/32"):
        check_url("http://127.0.0.2/", allow_private=True, blocked_networks=blocked)


async def test_an_unknown_host_is_a_clear_permanent_error():
    with pytest.raises(FetchError, match="cannot resolve host no-such-host.invalid") as failed:
        await check_url_async("http://no-such-host.invalid/feed", allow_private=False)
    assert not isinstance(failed.value, UrlRefused) and not failed.value.retryable


async def test_check_url_async_returns_the_addresses_it_allowed():
    checked = await check_url_async("http://localhost:8000/x", allow_private=True)
    assert checked.url == "http://localhost:8000/x" and checked.port == 8000
    assert ipaddress.ip_address("127.0.0.1") in checked.addresses


# --- fetching -------------------------------------------------------------------------------

async def test_a_page_is_fetched_with_our_user_agent(local_server, fetcher):
    local_server.route("/article", text=PAGE, charset="windows-1252",
                       headers={"ETag": '"v1"', "Last-Modified": "Tue, 04 Jan 2022 10:00:00 GMT"})
    fetched = await fetcher.get(local_server.url("/article"), accept="text/html")
    assert fetched == Fetched(url=local_server.url("/article"), status=200, body=PAGE.encode(),
                              content_type="text/html", charset="windows-1252", etag='"v1"',
                              last_modified="Tue, 04 Jan 2022 10:00:00 GMT")
    assert not fetched.not_modified
    [request] = local_server.requests_to("/article")
    assert request.headers["user-agent"] == USER_AGENT and request.headers["accept"] == "text/html"
    assert "if-none-match" not in request.headers


async def test_a_named_host_keeps_its_name_in_the_host_header(local_server, fetcher):
    # The connection goes to the address that was checked, but the server must still see the name.
    local_server.route("/article", text=PAGE)
    fetched = await fetcher.get(f"http://localhost:{local_server.port}/article")
    assert fetched.url == f"http://localhost:{local_server.port}/article"
    assert local_server.requests_to("/article")[0].headers["host"] == f"localhost:{local_server.port}"


async def test_private_addresses_are_refused_before_any_request(local_server):
    local_server.route("/article", text=PAGE)
    async with Fetcher(allow_private=False, timeout_s=5.0) as safe:
        with pytest.raises(UrlRefused, match="127.0.0.1 is a private"):
            await safe.get(local_server.url("/article"))
        with pytest.raises(UrlRefused, match="localhost resolves to 127.0.0.1"):
            await safe.get(f"http://localhost:{local_server.port}/article")
    assert local_server.seen == []  # not even robots.txt


async def test_etag_round_trip_gives_304(local_server, fetcher):
    @local_server.route("/feed.xml")
    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"abc"':
            return web.Response(status=304, headers={"ETag": '"abc"'})
        return web.Response(text="<rss/>", content_type="application/rss+xml", headers={"ETag": '"abc"'})

    first = await fetcher.get(local_server.url("/feed.xml"))
    assert (first.status, first.etag, first.content_type) == (200, '"abc"', "application/rss+xml")
    again = await fetcher.get(local_server.url("/feed.xml"), etag=first.etag)
    assert again.not_modified and again.status == 304 and again.body == b"" and again.etag == '"abc"'
    assert local_server.requests_to("/feed.xml")[1].headers["if-none-match"] == '"abc"'


async def test_last_modified_round_trip_gives_304_and_keeps_the_validator(local_server, fetcher):
    stamp = "Wed, 05 Jan 2022 08:30:00 GMT"

    @local_server.route("/feed.xml")
    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return web.Response(status=304)  # no validators repeated: the caller's must survive
        return web.Response(text="<rss/>", headers={"Last-Modified": stamp})

    first = await fetcher.get(local_server.url("/feed.xml"))
    assert first.status == 200 and first.last_modified == stamp and first.etag is None
    again = await fetcher.get(local_server.url("/feed.xml"), last_modified=first.last_modified)
    assert again.not_modified and again.body == b"" and again.last_modified == stamp


async def test_404_is_not_retryable(local_server, fetcher):
    with pytest.raises(FetchError) as failed:
        await fetcher.get(local_server.url("/gone"))
    assert failed.value.status == 404 and not failed.value.retryable
    assert str(failed.value) == f"HTTP 404 Not Found from {local_server.url('/gone')}"


async def test_500_and_429_are_retryable(local_server, fetcher):
    local_server.route("/broken", text="oops", status=500)
    local_server.route("/busy", text="slow down", status=429)
    for path, status in (("/broken", 500), ("/busy", 429)):
        with pytest.raises(FetchError) as failed:
            await fetcher.get(local_server.url(path))
        assert failed.value.status == status and failed.value.retryable


async def test_a_server_that_says_nothing_fails_within_the_timeout(local_server):
    @local_server.route("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(20)
        return web.Response(text=PAGE)

    async with Fetcher(allow_private=True, timeout_s=1.0) as impatient:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"no complete response .* within 1 s") as failed:
            await impatient.get(local_server.url("/slow"))
        elapsed = time.monotonic() - started
    assert failed.value.retryable and failed.value.status is None
    assert elapsed < 3, elapsed


async def test_a_host_that_hangs_on_everything_fails_within_two_timeouts(local_server):
    # robots.txt gets its own deadline (a timeout there allows the page), then the page gets one.
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(20)
        return web.Response(text="late")

    local_server.route("/robots.txt", hang)
    local_server.route("/page", hang)
    async with Fetcher(allow_private=True, timeout_s=1.0) as impatient:
        started = time.monotonic()
        with pytest.raises(FetchError, match="no complete response"):
            await impatient.get(local_server.url("/page"))
    assert time.monotonic() - started < 3.5
    assert len(local_server.requests_to("/robots.txt")) == 1 and len(local_server.requests_to("/page")) == 1


async def test_a_body_that_trickles_fails_within_the_timeout(local_server):
    # Each byte arrives well within a per-read timeout; only an overall deadline stops this.
    @local_server.route("/trickle")
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(40):
            await response.write(b"x")
            await asyncio.sleep(0.2)
        return response

    async with Fetcher(allow_private=True, timeout_s=1.0) as impatient:
        started = time.monotonic()
        with pytest.raises(FetchError, match="no complete response"):
            await impatient.get(local_server.url("/trickle"))
    assert time.monotonic() - started < 3


async def test_redirects_are_followed_and_the_final_url_reported(local_server, fetcher):
    local_server.route("/old", text="", status=301, headers={"Location": "/new"})
    local_server.route("/new", text=PAGE)
    fetched = await fetcher.get(local_server.url("/old"))
    assert fetched.url == local_server.url("/new") and fetched.body == PAGE.encode()


async def test_a_redirect_loop_is_detected(local_server, fetcher):
    local_server.route("/a", text="", status=302, headers={"Location": "/b"})
    local_server.route("/b", text="", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="redirect loop") as failed:
        await fetcher.get(local_server.url("/a"))
    assert not failed.value.retryable
    assert len(local_server.requests_to("/a")) == 1 and len(local_server.requests_to("/b")) == 1


async def test_too_many_redirects(local_server):
    for hop in range(4):
        local_server.route(f"/hop{hop}", text="", status=307, headers={"Location": f"/hop{hop + 1}"})
    local_server.route("/hop4", text=PAGE)
    async with Fetcher(allow_private=True, max_redirects=3) as strict:
        with pytest.raises(FetchError, match="more than 3 redirects"):
            await strict.get(local_server.url("/hop0"))
    async with Fetcher(allow_private=True, max_redirects=4) as lenient:
        assert (await lenient.get(local_server.url("/hop0"))).url == local_server.url("/hop4")


async def test_a_redirect_to_a_blocked_network_is_refused_before_it_is_followed(start_server):
    public = await start_server("127.0.0.1")
    internal = await start_server("127.0.0.2")
    internal.route("/", text="secret admin page")
    public.route("/story", text="", status=302, headers={"Location": internal.url("/")})
    async with Fetcher(allow_private=True, blocked_networks=[ipaddress.ip_network("127.0.0.2/32")]) as fetcher:
        with pytest.raises(UrlRefused, match="127.0.0.2 is in the blocked network") as refused:
            await fetcher.get(public.url("/story"))
    assert refused.value.url == internal.url("/")
    assert len(public.requests_to("/story")) == 1
    assert internal.seen == []


async def test_a_50_mb_body_is_cut_off_at_the_cap_while_streaming(local_server):
    sent = {"bytes": 0}
    chunk = b"x" * 65536

    @local_server.route("/huge")
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})  # chunked: no length to refuse early
        await response.prepare(request)
        while sent["bytes"] < 50_000_000:
            await response.write(chunk)
            sent["bytes"] += len(chunk)
        return response

    async with Fetcher(allow_private=True, max_bytes=1_000_000, timeout_s=10.0) as capped:
        started = time.monotonic()
        with pytest.raises(FetchError, match="too large") as failed:
            await capped.get(local_server.url("/huge"))
    assert not failed.value.retryable
    assert time.monotonic() - started < 5
    await asyncio.sleep(0.1)  # let the server notice the closed connection
    assert sent["bytes"] < 20_000_000, sent  # the client stopped reading; socket buffers hold the rest


async def test_a_declared_length_above_the_cap_is_refused_before_reading(local_server):
    local_server.route("/big", body=b"y" * 2_000_000, content_type="application/octet-stream")
    async with Fetcher(allow_private=True, max_bytes=1_000_000) as capped:
        with pytest.raises(FetchError, match="is 2,000,000 bytes, the limit is 1,000,000"):
            await capped.get(local_server.url("/big"))


async def test_robots_txt_is_honoured_and_fetched_once_per_host(local_server, fetcher):
    local_server.route("/robots.txt", text="User-agent: *\nDisallow: /private/\n\nUser-agent: news\nDisallow: /\n",
                       content_type="text/plain")
    local_server.route("/public/one", text=PAGE)
    local_server.route("/public/two", text=PAGE)
    local_server.route("/private/memo", text=PAGE)
    await asyncio.gather(fetcher.get(local_server.url("/public/one")), fetcher.get(local_server.url("/public/two")))
    with pytest.raises(UrlRefused, match="disallowed by robots.txt"):
        await fetcher.get(local_server.url("/private/memo"))
    assert len(local_server.requests_to("/robots.txt")) == 1
    assert local_server.requests_to("/private/memo") == []


async def test_robots_txt_that_fails_allows_everything(local_server, fetcher):
    local_server.route("/robots.txt", text="down", status=503)
    local_server.route("/page", text=PAGE)
    assert (await fetcher.get(local_server.url("/page"))).status == 200


async def test_robots_txt_can_be_ignored(local_server):
    local_server.route("/robots.txt", text="User-agent: *\nDisallow: /\n", content_type="text/plain")
    local_server.route("/page", text=PAGE)
    async with Fetcher(allow_private=True, respect_robots=False) as rude:
        assert (await rude.get(local_server.url("/page"))).status == 200
    assert local_server.requests_to("/robots.txt") == []


async def test_at_most_two_requests_per_host_at_a_time(local_server, fetcher):
    state = {"now": 0, "most": 0}

    @local_server.route("/slowish")
    async def slowish(request: web.Request) -> web.Response:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        await asyncio.sleep(0.2)
        state["now"] -= 1
        return web.Response(text=PAGE)

    results = await asyncio.gather(*(fetcher.get(local_server.url("/slowish")) for _ in range(5)))
    assert all(result.status == 200 for result in results)
    assert state["most"] == 2  # limited, and still concurrent


async def test_a_closed_port_is_a_retryable_connection_error(local_server, fetcher):
    port = local_server.port
    await local_server.stop()
    with pytest.raises(FetchError, match="cannot connect to 127.0.0.1") as failed:
        await fetcher.get(f"http://127.0.0.1:{port}/page")
    assert failed.value.retryable
