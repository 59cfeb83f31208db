"""HTML fragments -> clean text, and pay ranges from the preferred_qualifications prose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobtracker.normalize.pay import PayRange, parse_pay, parse_pay_field
from jobtracker.normalize.text import html_to_text

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = {
    "durham": "search_sample_1_facets_hits10000.json",
    "austin": "search_sample_3_base_query_software_engineer_pretty.json",
}

# The pay paragraph exactly as served (sample 3), ProseMirror markup and all.
PAY_PARAGRAPH = (
    '<p><span style="color: rgb(35, 47, 62)" class="ProseMirror-FontColor">The base salary range '
    "for this position is listed below. Your Amazon package will include sign-on payments and "
    "restricted stock units (RSUs). Final compensation will be determined based on factors "
    "including experience, qualifications, and location. Amazon also offers comprehensive "
    "benefits including health insurance (medical, dental, vision, prescription, Basic Life &amp; "
    "AD&amp;D insurance and option for Supplemental life plans, EAP, Mental Health Support, "
    "Medical Advice Line, Flexible Spending Accounts, Adoption and Surrogacy Reimbursement "
    "coverage), 401(k) matching, paid time off, and parental leave. Learn more about our "
    'benefits at </span><a target="_blank" rel="noopener noreferrer nofollow" '
    'href="https://amazon.jobs/en/benefits"><span style="color: rgb(35, 47, 62)" '
    'class="ProseMirror-FontColor">https://amazon.jobs/en/benefits</span></a><span '
    'style="color: rgb(35, 47, 62)" class="ProseMirror-FontColor">.</span></p><br/><br/>'
    "USA, TX, Austin - 143,700.00 - 194,400.00 USD annually"
)


def load_job(key: str) -> dict[str, Any]:
    return json.loads((FIXTURES / SAMPLES[key]).read_text("utf-8"))["jobs"][0]


# --- html_to_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("one<br/>two", "one\ntwo"),
        ("one<br>two", "one\ntwo"),
        ("one<br />two", "one\ntwo"),
        ("one<BR>two", "one\ntwo"),
        ("<p>one</p><p>two</p>", "one\ntwo"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("intro<ul><li>one<li>two</ul>outro", "intro\none\ntwo\noutro"),
        ("Basic Life &amp; AD&amp;D", "Basic Life & AD&D"),
        ("Bachelor&#39;s degree", "Bachelor's degree"),
        ("&lt;br/&gt; is markup", "<br/> is markup"),  # escaped text stays text
        ("a&nbsp;&nbsp;b", "a b"),
        ("   lots    of\t\tspace   ", "lots of space"),
        ("one<br/><br/><br/><br/>two", "one\n\ntwo"),  # blank lines collapse to one
        ("<br/><br/>one<br/><br/>", "one"),
        ("• Partner with teams<br/>• Build tooling", "• Partner with teams\n• Build tooling"),
        ("- • Experience with Slurm", "- • Experience with Slurm"),
        ('<a href="https://amazon.jobs/en/benefits">https://amazon.jobs/en/benefits</a>.',
         "https://amazon.jobs/en/benefits."),
        ('<span style="color: rgb(35, 47, 62)" class="x">styled</span> text', "styled text"),
        ("bold<b>face</b>d", "boldfaced"),  # inline tags leave no gap
        ("a < b and c > d", "a < b and c > d"),  # a lone "<" is prose
        ("cut off <span style=", "cut off"),
        ("<p>unclosed paragraph", "unclosed paragraph"),
        ("x<!-- a comment -->y", "xy"),
        ("x<!-- never closed", "x"),
        ("<script>alert(1)</script>safe", "safe"),
        ("<style>p {color: red}</style>safe", "safe"),
        ("<td>a</td><td>b</td>", "a b"),
        ("zero\u200bwidth", "zerowidth"),
        ("win\r\nlines\rmac", "win\nlines\nmac"),
        ("plain text", "plain text"),
    ],
)  # fmt: skip
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("value", [None, "", 5, 4.2, [], {}, object(), "<br/>", "<p></p>", " \n "])
def test_html_to_text_of_nothing_is_empty(value: object) -> None:
    assert html_to_text(value) == ""


def test_html_to_text_accepts_bytes() -> None:
    assert html_to_text("caf\u00e9<br/>ok".encode()) == "caf\u00e9\nok"


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_real_sample_fields_become_clean_text(key: str) -> None:
    job = load_job(key)
    for field in ("description", "basic_qualifications", "preferred_qualifications"):
        text = html_to_text(job[field])
        assert text
        assert "<" not in text.replace("< ", "")
        assert "&amp;" not in text
        assert "\n\n\n" not in text
        assert all(line == line.strip() and "  " not in line for line in text.splitlines())
    prefs = html_to_text(job["preferred_qualifications"]).splitlines()
    assert prefs[-1].endswith("USD annually")
    assert prefs[-2] == ""
    assert "Basic Life & AD&D insurance" in prefs[-3]
    assert prefs[-3].endswith("Learn more about our benefits at https://amazon.jobs/en/benefits.")


def test_real_sample_bullets_stay_at_line_start() -> None:
    text = html_to_text(load_job("austin")["description"])
    bullets = [line for line in text.splitlines() if line.startswith("•")]
    assert len(bullets) == 11
    assert "Key job responsibilities" in text.splitlines()


# --- parse_pay -------------------------------------------------------------------------------


def test_real_sample_pay_lines() -> None:
    assert parse_pay(load_job("austin")["preferred_qualifications"]) == [
        PayRange(
            143_700.0,
            194_400.0,
            "USD",
            "year",
            "USA, TX, Austin",
            "USA, TX, Austin - 143,700.00 - 194,400.00 USD annually",
        )
    ]
    [durham] = parse_pay(load_job("durham")["preferred_qualifications"])
    assert (durham.min, durham.max, durham.location) == (91_000.0, 136_500.0, "USA, NC, Durham")


def test_pay_from_html_and_from_text_agree() -> None:
    html = load_job("austin")["preferred_qualifications"]
    assert parse_pay(html) == parse_pay(html_to_text(html)) == parse_pay(PAY_PARAGRAPH)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("USA, TX, Austin - 143,700.00 - 194,400.00 USD annually",
         (143_700.0, 194_400.0, "USD", "year", "USA, TX, Austin")),
        ("USA, CA, Santa Clara - 169,200.00 - 228,800.00 USD annually",
         (169_200.0, 228_800.0, "USD", "year", "USA, CA, Santa Clara")),
        ("USA, WA, Seattle - 21.50 - 26.00 USD hourly",
         (21.5, 26.0, "USD", "hour", "USA, WA, Seattle")),
        ("CAN, ON, Toronto - 120,000.00 - 160,000.00 CAD annually",
         (120_000.0, 160_000.0, "CAD", "year", "CAN, ON, Toronto")),
        ("USA, Virtual - 100,000.00 - 150,000.00 USD annually",
         (100_000.0, 150_000.0, "USD", "year", "USA, Virtual")),
        ("USA, CA, Virtual Location - California - 100,000.00 - 150,000.00 USD annually",
         (100_000.0, 150_000.0, "USD", "year", "USA, CA, Virtual Location - California")),
        ("USA, NY, New York - 9,000.00 - 12,000.00 USD monthly",
         (9_000.0, 12_000.0, "USD", "month", "USA, NY, New York")),
        ("GBR, London - 1,000 - 1,200 GBP weekly",
         (1_000.0, 1_200.0, "GBP", "week", "GBR, London")),
        ("USA, TX, Dallas - 200.00 - 250.00 USD daily",
         (200.0, 250.0, "USD", "day", "USA, TX, Dallas")),
        ("USA, TX, Austin - 143,700.00 - 143,700.00 USD annually",
         (143_700.0, 143_700.0, "USD", "year", "USA, TX, Austin")),
        ("USA, TX, Austin \u2013 143,700.00 \u2013 194,400.00 usd Annually.",
         (143_700.0, 194_400.0, "USD", "year", "USA, TX, Austin")),
        ("- USA, TX, Austin - 143,700.00 - 194,400.00 USD annually",
         (143_700.0, 194_400.0, "USD", "year", "USA, TX, Austin")),
    ],
)  # fmt: skip
def test_pay_lines(line: str, expected: tuple[float, float, str, str, str]) -> None:
    [found] = parse_pay(line)
    assert (found.min, found.max, found.currency, found.period, found.location) == expected
    assert found.raw == line.strip()


def test_several_pay_lines_in_one_posting() -> None:
    html = (
        "Preferred<br/><br/>USA, CA, Santa Clara - 169,200.00 - 228,800.00 USD annually<br/>"
        "USA, TX, Austin - 143,700.00 - 194,400.00 USD annually<br/>"
        "USA, WA, Seattle - 21.50 - 26.00 USD hourly<br/>"
        "CAN, ON, Toronto - 120,000.00 - 160,000.00 CAD annually"
    )
    ranges = parse_pay(html)
    assert [r.location for r in ranges] == [
        "USA, CA, Santa Clara",
        "USA, TX, Austin",
        "USA, WA, Seattle",
        "CAN, ON, Toronto",
    ]
    assert [r.period for r in ranges] == ["year", "year", "hour", "year"]
    assert [r.currency for r in ranges] == ["USD", "USD", "USD", "CAD"]


@pytest.mark.parametrize(
    "text",
    [
        None, "", 5, 143700.0, [], {}, "garbage",
        "USA, TX, Austin - 194,400.00 - 143,700.00 USD annually",  # min > max
        "USA, TX, Austin - 143,700.00 - 194,400.00 XYZ annually",  # not ISO 4217
        "USA, TX, Austin - 143,700.00 - 194,400.00 USD fortnightly",  # unknown period
        "USA, TX, Austin - 143,700.00 - 194,400.00 USD",  # no period
        "USA, TX, Austin - 143,700.00 USD annually",  # one amount
        "DEU, Berlin - 60.000 - 80.000 EUR annually",  # continental separators: not 60.0
        "DEU, Berlin - 60.000,00 - 80.000,00 EUR annually",
        "USA, TX, Austin - 14,37,00.00 - 194,400.00 USD annually",  # malformed grouping
        "USA, TX, Austin - 143,700.005 - 194,400.00 USD annually",
        "USA, TX, Austin - 0.00 - 0.00 USD annually",
        "143,700.00 - 194,400.00 USD annually",  # no location
        "12 - 143,700.00 - 194,400.00 USD annually",  # location without letters
        "The range is 100 - 200 USD annually",
        "- 3+ years of full software development life cycle experience",
    ],
)  # fmt: skip
def test_malformed_pay_gives_nothing(text: object) -> None:
    assert parse_pay(text) == []


def test_no_pay_in_a_posting_without_pay_lines() -> None:
    assert parse_pay(load_job("austin")["description"]) == []


def test_pay_as_dict_is_plain_json() -> None:
    [found] = parse_pay("USA, WA, Seattle - 21.50 - 26.00 USD hourly")
    data = found.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "min": 21.5,
        "max": 26.0,
        "currency": "USD",
        "period": "hour",
        "location": "USA, WA, Seattle",
        "raw": "USA, WA, Seattle - 21.50 - 26.00 USD hourly",
    }


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (" one  <br/>  <br/><br/>  two ", "one\n\ntwo"),  # the str-method fast path
        ("one <br/>two<br/> three", "one\ntwo\nthree"),
        ("one\u00a0 <br/>\ttwo", "one\ntwo"),  # other whitespace: the line-by-line path
        ("one<br/>\u2028<br/>two", "one\n\ntwo"),
        ("<P>one</P> <BR><Li>two", "one\n\ntwo"),  # a <br> after a block run is a line of its own
        ("<SCRIPT>x</Script>y", "y"),
        ("a<TD>b</Th>c", "a b c"),
    ],
)  # fmt: skip
def test_html_to_text_whitespace_and_case_variants(html: str, text: str) -> None:
    assert html_to_text(html) == text


# --- every pay form, on real strings (tests/fixtures/real_pay_sentences.csv) ------------------


def _pay_rows(name: str) -> list[dict[str, str]]:
    import csv

    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


PAY_ROWS = _pay_rows("real_pay_sentences.csv")


@pytest.mark.parametrize(
    "row", [row for row in PAY_ROWS if row["outcome"] == "parsed"], ids=lambda row: row["text"][:60]
)
def test_real_pay_forms_are_read(row: dict[str, str]) -> None:
    [found] = parse_pay(row["text"])
    assert (found.min, found.max, found.currency, found.period) == (
        float(row["min"]),
        float(row["max"]),
        row["currency"],
        row["period"],
    )


@pytest.mark.parametrize(
    "row",
    [row for row in PAY_ROWS if row["outcome"] == "refused"],
    ids=lambda row: row["text"][:60],
)
def test_real_ambiguous_pay_is_refused(row: dict[str, str]) -> None:
    """A figure beside other figures (overtime, bonuses, a day rate), an open range ("+", "up
    to", "or more"), a "k" or an alternative ("or") gives nothing: never a wrong number."""
    assert parse_pay(row["text"]) == []


def test_geographic_market_sentence_is_a_range_without_a_location() -> None:
    row = next(row for row in PAY_ROWS if "$129,300/year" in row["text"])
    html = (
        "<p>If the country/region you\u2019re applying in isn\u2019t listed, please contact your "
    )
    html += f"Recruiting Partner.</p><br/><br/><p>{row['text']}</p>"
    [found] = parse_pay(html)
    assert (found.min, found.max, found.currency, found.period) == (
        129_300.0,
        223_600.0,
        "USD",
        "year",
    )
    assert found.location == ""
    assert "lowest geographic market" in found.raw


def test_geographic_market_sentence_with_mismatched_periods_is_refused() -> None:
    text = (
        "The base pay for this position ranges from $47.84/hr in our lowest geographic market "
        "up to $223,600/year in our highest geographic market."
    )
    assert parse_pay(text) == []


def test_hourly_forms_with_a_starting_word() -> None:
    """ "starting at $X" (the hourly postings' phrase) and a pay field on its own line."""
    [found] = parse_pay("Starting at $18.50/hr")
    assert (found.min, found.max, found.period) == (18.5, 18.5, "hour")
    [found] = parse_pay("Job details<br/>$20.00/hour starting<br/>Full time")
    assert (found.min, found.max, found.period) == (20.0, 20.0, "hour")


def test_the_dollar_is_the_site_currency() -> None:
    [found] = parse_pay("$19.30/hr", dollar_currency="CAD")
    assert found.currency == "CAD"
    # The geographic-market sentence names US markets: always USD.
    row = next(row for row in PAY_ROWS if "$113,000/year" in row["text"])
    [found] = parse_pay(row["text"], dollar_currency="CAD")
    assert found.currency == "USD"


def test_no_figure_is_invented_on_the_real_pay_fields() -> None:
    """All 225 distinct pay fields of 481 real Amazon DSP postings: whatever is read has both
    figures written in the field, min <= max, and its period word in it; most are read."""
    rows = _pay_rows("real_pay_fields.csv")
    assert len(rows) >= 200
    read = 0
    for row in rows:
        text = row["text"]
        for found in parse_pay(text):
            read += 1
            compact = text.replace(",", "")
            for figure in (found.min, found.max):
                assert f"{figure:g}" in compact or f"{figure:.2f}" in compact, (text, found)
            assert 0 < found.min <= found.max
            words = {"hour": ("hour", "hr", "hora"), "year": ("year", "yr"), "day": ("day",)}
            assert any(word in text.lower() for word in words[found.period]), (text, found)
    assert read >= 0.6 * len(rows)


def _amazon_jobs_item(job: dict[str, Any]) -> Any:
    from datetime import UTC, datetime

    from jobtracker.sources.amazon_jobs import job_to_item

    return job_to_item(
        {"id_icims": "1", **job},
        base_url="https://www.amazon.jobs",
        run_id="r",
        partition="p",
        seen_at=datetime(2025, 6, 1, tzinfo=UTC),
    )


def test_amazon_jobs_source_reads_the_sentence_wherever_the_posting_has_it() -> None:
    """2023-25 postings state the range in the description or the qualifications."""
    from jobtracker.sources.amazon_jobs import AmazonJobs

    row = next(row for row in PAY_ROWS if "$129,300/year" in row["text"])
    for field in ("preferred_qualifications", "description"):
        item = _amazon_jobs_item({field: f"<p>{row['text']}</p>", "country_code": "USA"})
        [found] = AmazonJobs().pay(item)
        assert (found.min, found.max, found.currency) == (129_300.0, 223_600.0, "USD")


def test_amazon_jobs_source_bare_dollar_is_the_posting_country_currency() -> None:
    from jobtracker.sources.amazon_jobs import AmazonJobs

    item = _amazon_jobs_item({"description": "Pay<br/>$19.30/hr", "country_code": "CAN"})
    [found] = AmazonJobs().pay(item)
    assert (found.min, found.currency, found.period) == (19.3, "CAD", "hour")
    item = _amazon_jobs_item({"description": "Pay<br/>$19.30/hr", "country_code": "IND"})
    assert AmazonJobs().pay(item) == []  # no dollar in India: refused, not guessed


@pytest.mark.parametrize(
    "text",
    [
        "$5,250 per year tuition assistance",
        "$3,000/year relocation allowance",
        "$100/month phone stipend",
        "$1.00/hour referral bonus",
    ],
)
def test_a_figure_for_a_benefit_is_not_pay(text: str) -> None:
    """Rule boundary: an amount with a unit is pay only if the words after it do not say it
    is a benefit (tuition, relocation, stipend, allowance, reimbursement, sign-on, referral)."""
    assert parse_pay(text) == []
    assert parse_pay_field(text) == []
