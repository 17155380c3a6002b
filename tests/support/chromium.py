"""Headless Chromium for the browser tests (selenium with Debian's chromium and chromedriver).

A browser test skips when Chromium, its driver or selenium is absent, except on CI (CI=true) or
with CIVICBOT_REQUIRE_CHROMIUM=1, where it fails instead; the same holds for the npm packages the
accessibility tests inject (``npm ci --prefix tests/support/browser``).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.network import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900")
WAIT_SECONDS = 30
NODE_MODULES = Path(__file__).parent / "browser" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true" or os.environ.get("CIVICBOT_REQUIRE_CHROMIUM") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def chromium_or_skip(binaries: tuple[Path, ...] = (CHROMIUM, CHROMEDRIVER)) -> None:
    missing = [str(path) for path in binaries if not path.is_file()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        _skip_or_fail(f"the browser test needs {', '.join(missing)} "
                      "(apt install chromium chromium-driver; pip install selenium)")


def axe_or_skip(script: Path = AXE) -> str:
    """The source of axe-core, to inject into a page."""
    if not script.is_file():
        _skip_or_fail(f"the accessibility test needs {script} (npm ci --prefix tests/support/browser)")
    return script.read_text(encoding="utf-8")


def chrome(profile: Path, *flags: str, network_log: bool = False):
    """A headless Chromium driven by selenium (blocking: call it in a thread)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", *flags):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if network_log else {})})
    # chromedriver's port from this worker's block (tests/support/network.py), not selenium's own probe
    service = Service(executable_path=str(CHROMEDRIVER), port=free_port())
    return webdriver.Chrome(service=service, options=options)
