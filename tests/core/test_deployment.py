"""The deployment recipes of docs/operate/deploy hold together with the code they deploy."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs/operate/deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_is_valid_and_hardened(tmp_path: Path) -> None:
    unit = (DEPLOY / "civicbot.service").read_text()
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                   "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "UMask=0077"):
        assert option in unit
    # Pointed at this checkout so that systemd can check the command exists.
    civicbot = Path(sys.executable).with_name("civicbot")
    local = (unit.replace("/opt/civicbot/.venv/bin/civicbot", str(civicbot))
             .replace("/opt/civicbot", str(ROOT))
             .replace("EnvironmentFile=/etc/civicbot/civicbot.env", "EnvironmentFile=-/etc/civicbot/civicbot.env"))
    path = tmp_path / "civicbot.service"
    path.write_text(local)
    checked = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def test_the_container_recipe_copies_what_exists_and_runs_serve() -> None:
    recipe = (DEPLOY / "Containerfile").read_text()
    for line in recipe.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    for package in ("bot", "intents", "knowledge", "connectors"):
        assert f"COPY {package} {package}" in recipe
    assert "uv sync --frozen" in recipe  # the lock's versions, nothing else
    assert 'CMD ["serve"]' in recipe and "/healthz" in recipe


def test_the_compose_file_builds_from_the_recipe_with_postgresql() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    civicbot = compose["services"]["civicbot"]
    context = (DEPLOY / civicbot["build"]["context"]).resolve()
    assert context == ROOT
    assert (context / civicbot["build"]["dockerfile"]).exists()
    assert civicbot["environment"]["CIVICBOT_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert civicbot["depends_on"]["db"]["condition"] == "service_healthy"
