"""Spider arguments: parsed from the strings scrapyd and ``scrapy crawl -a`` pass, validated once.

Pure functions and a pydantic model; a bad value raises :class:`ArgumentError` naming the
argument, which the spider turns into a clean stop at start (never a traceback).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jobtracker.redaction import redact, userinfo
from jobtracker.sources.amazon_hourly import HOURLY_SITES, SITE_BY_ALPHA3

#: Locales www.amazon.jobs offers (its own locale switcher; note ``jp`` and ``en-gb``).
LOCALES = ("cs", "de", "en", "en-gb", "es", "fr", "it", "jp", "pl", "pt", "zh")
#: Common names ISO does not use; everything else is resolved by pycountry.
COUNTRY_ALIASES = {"UK": "GBR", "GREAT BRITAIN": "GBR", "ENGLAND": "GBR", "USA": "USA"}
CATEGORY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ArgsModel = TypeVar("ArgsModel", bound=BaseModel)


class ArgumentError(ValueError):
    """A spider argument has a value we cannot use."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"invalid spider argument {argument!r}: {message}")
        self.argument = argument


def split_list(value: Any) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``; lists pass through; None -> ``[]``."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def resolve_country(value: str) -> str:
    """ISO alpha-2, alpha-3 or English name -> ISO alpha-3; raises ``LookupError``."""
    text = value.strip()
    alias = COUNTRY_ALIASES.get(text.upper())
    if alias:
        return alias
    country = None
    if len(text) == 2 and text.isalpha():
        country = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3 and text.isalpha():
        country = pycountry.countries.get(alpha_3=text.upper())
    if country is None:
        try:
            country = pycountry.countries.lookup(text)
        except LookupError:
            country = None
    if country is None:
        raise LookupError(text)
    return country.alpha_3


def check_origin(value: Any) -> str:
    """An ``http(s)://host[:port]`` origin without a trailing slash; ``ValueError`` otherwise.

    A user name or password is refused: it would be on every logged request URL and in the
    run's ``crawl_runs`` record. Messages show the value redacted (``user:***@``)."""
    text = str(value or "").strip().rstrip("/")
    shown = redact(text)
    if userinfo(text) is not None:
        raise ValueError(f"{shown!r} must not carry a user name or password")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{shown!r} is not an http(s) origin like http://127.0.0.1:8080")
    if parts.path or parts.query or parts.fragment:
        raise ValueError(f"{shown!r} must be an origin only, without a path or query")
    return text


def check_max_pages(value: Any) -> int | None:
    """A page limit of at least 1, or None when empty; ``ValueError`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise ValueError(f"{number} must be at least 1")
    return number


class AmazonJobsArgs(BaseModel):
    """Arguments of the ``amazon_jobs`` spider (all optional)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    query: str | None = Field(
        None, description="Keyword search (base_query); never closes postings."
    )
    countries: tuple[str, ...] = Field((), description="Countries to crawl, sent as ISO alpha-3.")
    categories: tuple[str, ...] = Field((), description="business_category values to crawl.")
    locale: str = Field("en", description=f"Site locale, one of {', '.join(LOCALES)}.")
    base_url: str = Field(
        "https://www.amazon.jobs", description="Site origin (http(s)://host[:port])."
    )
    max_pages: int | None = Field(None, description="At most this many pages per partition.")
    job: str | None = Field(None, alias="_job", description="scrapyd job id, kept as the run id.")
    version: str | None = Field(None, alias="_version", description="scrapyd project version.")

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str | None:
        text = str(value).strip() if value is not None else ""
        return text or None

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> tuple[str, ...]:
        codes: list[str] = []
        for item in split_list(value):
            try:
                code = resolve_country(item)
            except LookupError:
                raise ValueError(
                    f"unknown country {item!r} (use ISO alpha-2 like JP, alpha-3 like JPN, "
                    "or an English name like Japan)"
                ) from None
            if code not in codes:
                codes.append(code)
        return tuple(sorted(codes))

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> tuple[str, ...]:
        values = []
        for item in split_list(value):
            if not CATEGORY_PATTERN.match(item):
                raise ValueError(
                    f"{item!r} is not a business_category value (lower-case slugs such as "
                    "'aws' or 'fulfillment-and-operations')"
                )
            if item not in values:
                values.append(item)
        return tuple(sorted(values))

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> str:
        text = str(value or "en").strip().lower()
        if text not in LOCALES:
            raise ValueError(f"{text!r} is not one of {', '.join(LOCALES)}")
        return text

    @field_validator("base_url", mode="before")
    @classmethod
    def _base_url(cls, value: Any) -> str:
        return check_origin(value)

    @field_validator("max_pages", mode="before")
    @classmethod
    def _max_pages(cls, value: Any) -> int | None:
        return check_max_pages(value)


class AmazonHourlyArgs(BaseModel):
    """Arguments of the ``amazon_hourly`` spider (all optional)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    countries: tuple[str, ...] = Field(
        tuple(HOURLY_SITES),
        description=f"Country sites to crawl: {', '.join(HOURLY_SITES)} (default all).",
    )
    base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="CC=URL pairs, comma separated, replacing a country site's origin.",
    )
    max_pages: int | None = Field(None, description="At most this many result pages per site.")
    schedules: bool = Field(
        False,
        description="1 to fetch every posting's shift schedules too (one request per posting).",
    )
    job: str | None = Field(None, alias="_job", description="scrapyd job id, kept as the run id.")
    version: str | None = Field(None, alias="_version", description="scrapyd project version.")

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> tuple[str, ...]:
        keys = [hourly_site_key(item) for item in split_list(value)]
        if not keys:
            raise ValueError(f"name at least one of {', '.join(HOURLY_SITES)}")
        return tuple(key for key in HOURLY_SITES if key in keys)

    @field_validator("base_urls", mode="before")
    @classmethod
    def _base_urls(cls, value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            pairs = list(value.items())
        else:
            pairs = []
            for item in split_list(value):
                key, sep, url = item.partition("=")
                if not sep:
                    raise ValueError(
                        f"{item!r} is not a CC=URL pair (e.g. US=http://127.0.0.1:8081)"
                    )
                pairs.append((key, url))
        return {hourly_site_key(key): check_origin(url) for key, url in pairs}

    @field_validator("max_pages", mode="before")
    @classmethod
    def _max_pages(cls, value: Any) -> int | None:
        return check_max_pages(value)


def hourly_site_key(value: Any) -> str:
    """``US``/``USA``/``United States``/``GB``/``UK`` ... -> the hourly site key."""
    text = str(value).strip()
    if text.upper() in HOURLY_SITES:
        return text.upper()
    try:
        alpha3 = resolve_country(text)
    except LookupError:
        alpha3 = None
    key = SITE_BY_ALPHA3.get(alpha3 or "")
    if key is None:
        raise ValueError(f"no hourly site for {text!r} (sites: {', '.join(HOURLY_SITES)})")
    return key


def parse_args(model: type[ArgsModel], raw: dict[str, Any]) -> ArgsModel:
    """Validate raw spider keyword arguments (the strings ``-a`` and scrapyd pass).

    Raises :class:`ArgumentError` naming the first bad argument.
    """
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        argument = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "extra_forbidden":
            known = ", ".join(field.alias or name for name, field in model.model_fields.items())
            raise ArgumentError(argument, f"unknown argument (known: {known})") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ArgumentError(argument, message) from None


def parse_amazon_jobs_args(raw: dict[str, Any]) -> AmazonJobsArgs:
    """Validate the ``amazon_jobs`` arguments (see :func:`parse_args`)."""
    return parse_args(AmazonJobsArgs, raw)
