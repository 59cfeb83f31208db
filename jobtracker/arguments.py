"""Spider arguments: parsed from the strings scrapyd and ``scrapy crawl -a`` pass, validated once.

Pure functions and a pydantic model; a bad value raises :class:`ArgumentError` naming the
argument, which the spider turns into a clean stop at start (never a traceback).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: Locales www.amazon.jobs offers (its own locale switcher; note ``jp`` and ``en-gb``).
LOCALES = ("cs", "de", "en", "en-gb", "es", "fr", "it", "jp", "pl", "pt", "zh")
#: Common names ISO does not use; everything else is resolved by pycountry.
COUNTRY_ALIASES = {"UK": "GBR", "GREAT BRITAIN": "GBR", "ENGLAND": "GBR", "USA": "USA"}
CATEGORY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


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
        text = str(value or "").strip().rstrip("/")
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{text!r} is not an http(s) origin like http://127.0.0.1:8080")
        if parts.path or parts.query or parts.fragment:
            raise ValueError(f"{text!r} must be an origin only, without a path or query")
        return text

    @field_validator("max_pages", mode="before")
    @classmethod
    def _max_pages(cls, value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if number < 1:
            raise ValueError(f"{number} must be at least 1")
        return number


def parse_amazon_jobs_args(raw: dict[str, Any]) -> AmazonJobsArgs:
    """Validate raw spider keyword arguments.

    Raises :class:`ArgumentError` naming the first bad argument.
    """
    try:
        return AmazonJobsArgs.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        argument = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "extra_forbidden":
            known = ", ".join(
                field.alias or name for name, field in AmazonJobsArgs.model_fields.items()
            )
            raise ArgumentError(argument, f"unknown argument (known: {known})") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ArgumentError(argument, message) from None
