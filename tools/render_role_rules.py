#!/usr/bin/env python3
"""Print the title-reading tables of docs/role_families.md from role_families.json.

Run after changing the file and paste the output over the "Reading a title" tables:
    .venv/bin/python tools/render_role_rules.py
tests/test_normalize_role_family.py checks that every rule and abbreviation is in the doc.
"""

from __future__ import annotations

import json
from importlib import resources


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> None:
    data = json.loads(
        resources.files("jobtracker.normalize").joinpath("role_families.json").read_text("utf-8")
    )
    print("Abbreviations (whole words, in this order, on the case-folded segment):\n")
    print("| pattern | read as |")
    print("|---|---|")
    for pattern, words in data["title_abbreviations"]:
        print(f"| `{cell(pattern)}` | {words} |")
    print("\nTwo-letter forms that are ordinary words too, read only when they are the whole")
    print("role part (a seniority word before and a level mark after allowed):\n")
    print("| form | read as |")
    print("|---|---|")
    for form, words in data["title_segment_abbreviations"].items():
        print(f"| `{form}` | {words} |")
    print(f"\nRole nouns (make a segment the role part): `{cell(data['title_role_nouns'])}`\n")
    for tier in ("role", "domain", "head"):
        print(f"\n#### Tier `{tier}`\n")
        print("| # | role family | pattern (Python regex on the expanded segment) |")
        print("|---|---|---|")
        rules = [rule for rule in data["title_rules"] if rule["tier"] == tier]
        for number, rule in enumerate(rules, 1):
            print(f"| {number} | `{rule['family']}` | `{cell(rule['pattern'])}` |")


if __name__ == "__main__":
    main()
