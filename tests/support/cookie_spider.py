"""A spider that sends and receives a cookie, for ``scrapy runspider`` in the project's settings:
Scrapy's cookie middleware then asks tldextract about the domain's public suffix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class CookieSpider(scrapy.Spider):
    name = "cookie"

    def __init__(self, url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, cookies={"session": "1"})

    def parse(self, response: scrapy.http.Response) -> None:
        self.logger.info(
            "answered %d with cookie %s", response.status, response.headers["Set-Cookie"]
        )
