"""The project egg for scrapyd: built from a checkout as ``scrapyd-deploy`` builds it
(``setup.py bdist_egg``, all build output in a scratch folder), uploaded with
``addversion.json``. The egg holds the ``jobtracker`` package and its data files only."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from jobtracker.deploy.nodes import DeployError, closest_config
from jobtracker.deploy.scrapyd import ScrapydClient


def project_checkout(start: Path | None = None) -> Path:
    """The folder holding ``scrapy.cfg`` and ``setup.py``: where the egg is built from."""
    config = closest_config(start)
    if config is None or not (config.parent / "setup.py").is_file():
        raise DeployError(
            "no jobtracker checkout here to build the egg from (scrapy.cfg and setup.py); "
            "run from the project folder or give --egg FILE"
        )
    return config.parent


def build_egg(checkout: Path, out_dir: Path) -> Path:
    """``setup.py bdist_egg`` into ``out_dir``, leaving the checkout untouched."""
    with tempfile.TemporaryDirectory(prefix="jobtracker-egg-") as scratch:
        command = [
            sys.executable, "setup.py", "-q",
            "egg_info", "--egg-base", scratch,
            "build", "--build-base", f"{scratch}/build",
            "bdist_egg", "-d", str(out_dir), "-b", f"{scratch}/bdist",
        ]  # fmt: skip
        built = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    if built.returncode != 0:
        last = (built.stderr.strip() or built.stdout.strip() or "no output").splitlines()[-1]
        raise DeployError(f"building the egg failed: {last}", 1)
    eggs = sorted(out_dir.glob("*.egg"), key=lambda path: path.stat().st_mtime)
    if not eggs:
        raise DeployError(f"building the egg wrote no .egg into {out_dir}", 1)
    return eggs[-1]


def multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with ``fields`` and one file; returns (body, type)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + path.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def default_version() -> str:
    """Seconds since the epoch, like ``scrapyd-deploy``: newer uploads sort later."""
    return str(int(time.time()))


def upload_egg(client: ScrapydClient, project: str, version: str, egg: Path) -> int:
    """``addversion.json``; returns how many spiders the node found in the egg."""
    body, content_type = multipart({"project": project, "version": version}, "egg", egg)
    answer = client.post("addversion.json", body, content_type)
    return int(answer.get("spiders", 0))
