"""The pure parts of ``jobtracker schedule``: node configuration, scopes, job ids, overlaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobtracker.deploy.nodes import DeployError, load_nodes, parse_node, targets_from_config
from jobtracker.deploy.schedule import (
    DIMENSIONS,
    conflicting_job,
    group_of,
    parse_job_id,
    plan_scopes,
    unusable_values,
)
from jobtracker.deploy.scrapyd import Job

CATEGORY, COUNTRY = DIMENSIONS["category"], DIMENSIONS["country"]
COUNTS = {"aws": 900, "retail": 120, "legal": 7, "pxt": 40, "finance": 33, "devices": 81}


def test_node_urls_credentials_and_mistakes() -> None:
    env = {"SCRAPYD_USERNAME": "env-user", "SCRAPYD_PASSWORD": "env-pw"}
    node = parse_node("http://u%40x:p%3Aw@127.0.0.1:6800/scrapyd/", env)
    assert (node.url, node.username, node.password) == (
        "http://127.0.0.1:6800/scrapyd",
        "u@x",
        "p:w",
    )
    assert parse_node("https://host", env).username == "env-user"
    for bad in ("127.0.0.1:6800", "ftp://host:6800", "http://host:port", "http://host:1?x=1"):
        with pytest.raises(DeployError, match="bad scrapyd node URL"):
            parse_node(bad, env)


def test_nodes_come_from_options_then_the_environment_then_scrapy_cfg(tmp_path: Path) -> None:
    cfg = tmp_path / "scrapy.cfg"
    cfg.write_text(
        "[settings]\ndefault = jobtracker.settings\n"
        "[deploy]\nurl = ${SCRAPYD_URL}\nproject = jobtracker\n"
        "username = ${SCRAPYD_USERNAME}\npassword = ${SCRAPYD_PASSWORD}\n"
        "[deploy:node2]\nurl = ${SCRAPYD_URL_2}\n"
        "[deploy:node3]\nurl = http://10.0.0.3:6800\nusername = three\npassword = 3x\n"
    )
    env = {
        "SCRAPYD_URL": "http://10.0.0.1:6800/",
        "SCRAPYD_USERNAME": "op",
        "SCRAPYD_PASSWORD": "pw",
    }
    targets = targets_from_config(cfg, env)
    assert list(targets) == ["default", "node3"], "node2's URL variable is unset: skipped"
    assert (targets["default"].url, targets["default"].username) == ("http://10.0.0.1:6800", "op")
    assert (targets["node3"].username, targets["node3"].password) == ("three", "3x")
    assert [n.url for n in load_nodes([], env, cfg)] == [
        "http://10.0.0.1:6800",
        "http://10.0.0.3:6800",
    ]
    env["JOBTRACKER_SCRAPYD_NODES"] = "http://a:1, http://b:2 http://a:1"
    assert [n.url for n in load_nodes([], env, cfg)] == ["http://a:1", "http://b:2"]
    assert [n.url for n in load_nodes(["http://c:3"], env, cfg)] == ["http://c:3"]
    with pytest.raises(DeployError, match="no scrapyd node configured"):
        load_nodes([], {}, tmp_path / "missing.cfg")


def test_groups_are_stable_and_cover_every_value_once() -> None:
    scopes = plan_scopes(COUNTS, CATEGORY, groups=3)
    values = [value for scope in scopes for value in scope.values]
    assert sorted(values) == sorted(COUNTS)
    assert [scope.postings for scope in scopes] == sorted(
        (s.postings for s in scopes), reverse=True
    )
    for scope in scopes:
        index = int(scope.label.split("of")[0])
        assert all(group_of(value, 3) == index for value in scope.values)
    # Counts change from day to day; a value's group does not.
    again = plan_scopes({**COUNTS, "aws": 1, "new-one": 5}, CATEGORY, groups=3)
    group = {value: scope.label for scope in again for value in scope.values}
    assert all(group[value] == scope.label for scope in scopes for value in scope.values)


def test_job_ids_carry_the_scope_both_ways() -> None:
    single = plan_scopes(COUNTS, CATEGORY)[0]
    assert single.job_id("20260730T061500Z") == "20260730T061500Z.category.aws"
    assert single.arguments() == [("categories", "aws")]
    parsed = parse_job_id("20260730T061500Z.category.aws")
    assert parsed is not None and parsed.covers("aws") and not parsed.covers("retail")
    group = plan_scopes(COUNTS, COUNTRY, groups=2)[0]
    parsed = parse_job_id(group.job_id("b1"))
    assert parsed is not None and parsed.dimension is COUNTRY and parsed.grouped
    assert all(parsed.covers(value) for value in group.values)
    for foreign in ("cron-rekognition-1", "a.b.c", "b1.countries.USA", "b1.category.a.b"):
        assert parse_job_id(foreign) is None


def job(job_id: str, state: str = "running", spider: str = "amazon_jobs") -> Job:
    return Job("http://n1:6800", state, job_id, spider)


def test_a_scope_is_blocked_only_by_active_jobs_that_cover_it() -> None:
    aws = plan_scopes({"aws": 1}, CATEGORY)[0]
    retail = plan_scopes({"retail": 1}, CATEGORY)[0]
    assert conflicting_job(aws, [job("b0.category.aws")], "amazon_jobs") is not None
    assert conflicting_job(aws, [job("b0.category.aws", "pending")], "amazon_jobs") is not None
    assert conflicting_job(retail, [job("b0.category.aws")], "amazon_jobs") is None
    assert conflicting_job(aws, [job("b0.category.aws", "finished")], "amazon_jobs") is None
    assert (
        conflicting_job(aws, [job("b0.category.aws", spider="amazon_hourly")], "amazon_jobs")
        is None
    )
    assert conflicting_job(aws, [job("cron-rekognition-1")], "amazon_jobs") is None
    # Another grouping of the same values still overlaps; a country job overlaps every category.
    groups = f"b0.categories.{group_of('aws', 5)}of5"
    assert conflicting_job(aws, [job(groups)], "amazon_jobs") is not None
    other = f"b0.categories.{group_of('aws', 5) % 5 + 1}of5"
    assert conflicting_job(aws, [job(other)], "amazon_jobs") is None
    assert conflicting_job(aws, [job("b0.country.USA")], "amazon_jobs") is not None


def test_values_the_spider_would_refuse_are_named() -> None:
    assert unusable_values(["USA", "JPN"], COUNTRY) == {}
    refused = unusable_values(["XKX", "aws"], COUNTRY)
    assert set(refused) == {"XKX", "aws"} and "unknown country" in refused["XKX"]
    assert set(unusable_values(["Has Space", "aws"], CATEGORY)) == {"Has Space"}


ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_configurations_take_hosts_and_secrets_from_the_environment() -> None:
    from scrapyd.config import Config

    assert targets_from_config(ROOT / "scrapy.cfg", {}) == {}
    env = {"SCRAPYD_URL": "http://10.0.0.1:6800", "SCRAPYD_URL_2": "http://10.0.0.2:6800"}
    env |= {"SCRAPYD_USERNAME": "op", "SCRAPYD_PASSWORD": "pw"}
    targets = targets_from_config(ROOT / "scrapy.cfg", env)
    assert {name: (n.url, n.username) for name, n in targets.items()} == {
        "default": ("http://10.0.0.1:6800", "op"),
        "node2": ("http://10.0.0.2:6800", "op"),
    }
    config = Config(extra_sources=[str(ROOT / "deploy" / "scrapyd.conf")])
    assert config.get("username") == config.get("password") == ""
    assert config.getint("max_proc_per_cpu") >= 1 and config.get("logs_dir")
