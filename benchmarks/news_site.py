"""A real news site on 127.0.0.1 for tests and benchmarks: articles as HTML pages, feeds as RSS 2.0
with ETag and Last-Modified (a conditional GET of an unchanged feed gets a 304), and a log of
every request so callers can see what a poll fetched.

Pages look like the web does: navigation, a cookie notice and a footer around the article,
OpenGraph site name, a canonical link and a published time, so extraction is exercised for real."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import re
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from aiohttp import web

SITE_NAME = "Loopback Herald"


@dataclasses.dataclass(frozen=True)
class SiteArticle:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    published: dt.datetime


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int


class NewsSite:
    def __init__(self, *, site_name: str = SITE_NAME) -> None:
        self.site_name = site_name
        self.articles: dict[str, SiteArticle] = {}
        self.feeds: dict[str, list[str]] = {}  # feed name → article slugs, newest last
        self.requests: list[Request] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> "NewsSite":
        app = web.Application(middlewares=[self._log])
        app.router.add_get("/feeds/{name}.xml", self._feed)
        app.router.add_get("/articles/{slug}.html", self._page)
        app.router.add_get("/robots.txt", self._robots)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed_url(self, name: str) -> str:
        self.feeds.setdefault(name, [])
        return self.url(f"/feeds/{name}.xml")

    def article_url(self, slug: str) -> str:
        return self.url(f"/articles/{slug}.html")

    def publish(self, feed: str, title: str, paragraphs: list[str] | tuple[str, ...],
                published: dt.datetime, *, slug: str | None = None) -> str:
        """Add an article page and list it in ``feed``; returns its URL."""
        slug = slug or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        self.articles[slug] = SiteArticle(slug, title, tuple(paragraphs), published)
        self.feeds.setdefault(feed, []).append(slug)
        return self.article_url(slug)

    def fetched(self, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- handlers ---------------------------------------------------------------------------

    @web.middleware
    async def _log(self, request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self.requests.append(Request(request.method, request.path, exc.status))
            raise
        self.requests.append(Request(request.method, request.path, response.status))
        return response

    async def _robots(self, request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nDisallow: /private/\n")

    async def _feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.feeds:
            raise web.HTTPNotFound()
        body = self.rss(name)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        slugs = self.feeds[name]
        newest = max((self.articles[s].published for s in slugs), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        last_modified = format_datetime(newest.astimezone(dt.timezone.utc), usegmt=True)
        if request.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in request.headers and request.headers.get("If-Modified-Since") == last_modified):
            return web.Response(status=304, headers={"ETag": etag, "Last-Modified": last_modified})
        return web.Response(body=body, content_type="application/rss+xml", charset="utf-8",
                            headers={"ETag": etag, "Last-Modified": last_modified})

    def rss(self, name: str) -> bytes:
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        ET.SubElement(channel, "title").text = f"{self.site_name} — {name}"
        ET.SubElement(channel, "link").text = self.url("/")
        ET.SubElement(channel, "description").text = f"{name} news"
        for slug in reversed(self.feeds[name]):
            article = self.articles[slug]
            item = ET.SubElement(channel, "item")
            ET.SubElement(item, "title").text = article.title
            ET.SubElement(item, "link").text = self.article_url(slug)
            ET.SubElement(item, "guid", isPermaLink="true").text = self.article_url(slug)
            ET.SubElement(item, "pubDate").text = format_datetime(article.published, usegmt=True)
            ET.SubElement(item, "description").text = article.paragraphs[0] if article.paragraphs else ""
        return ET.tostring(rss, encoding="utf-8", xml_declaration=True)

    async def _page(self, request: web.Request) -> web.Response:
        article = self.articles.get(request.match_info["slug"])
        if article is None:
            raise web.HTTPNotFound()
        return web.Response(text=self.page(article), content_type="text/html", charset="utf-8")

    def page(self, article: SiteArticle) -> str:
        e = html.escape
        paragraphs = "\n".join(f"      <p>{e(p)}</p>" for p in article.paragraphs)
        published = article.published.isoformat()
        return f"""<!doctype html>
<html lang="en"><head>
  <meta charset="utf-8">
  <title>{e(article.title)} | {e(self.site_name)}</title>
  <meta property="og:site_name" content="{e(self.site_name)}">
  <meta property="og:title" content="{e(article.title)}">
  <meta property="article:published_time" content="{published}">
  <link rel="canonical" href="{self.article_url(article.slug)}">
</head><body>
  <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a> <a href="/subscribe">Subscribe</a></nav>
  <div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
  <main>
    <article>
      <h1>{e(article.title)}</h1>
      <time datetime="{published}">{article.published:%B %d, %Y}</time>
{paragraphs}
    </article>
  </main>
  <footer>© {article.published.year} {e(self.site_name)}. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""
