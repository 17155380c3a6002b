"""E-mail settings: each wrong one is named in a clear error; e-mail is off without a host."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD = {"CIVICBOT_SMTP_HOST": "smtp.nantes.fr", "CIVICBOT_EMAIL_FROM": "Ville de Nantes <civicbot@nantes.fr>",
        "CIVICBOT_PUBLIC_URL": "https://civicbot.nantes.fr"}


def test_off_by_default_and_on_with_host_sender_and_public_url(tmp_path: Path) -> None:
    assert load_settings({"CIVICBOT_DATA_DIR": str(tmp_path)}).smtp_host == ""
    settings = load_settings({"CIVICBOT_DATA_DIR": str(tmp_path), **GOOD, "CIVICBOT_SMTP_PORT": "2525",
                              "CIVICBOT_EMAIL_RATE": "0.5"})
    assert (settings.smtp_port, settings.email_rate, settings.smtp_security) == (2525, 0.5, "starttls")


def test_toml_table(tmp_path: Path) -> None:
    (tmp_path / "civicbot.toml").write_text(
        'public_url = "https://civicbot.nantes.fr"\n'
        '[smtp]\nhost = "smtp.nantes.fr"\nsecurity = "tls"\nusername = "bot"\npassword = "s3cret"\n'
        '[email]\nfrom = "civicbot@nantes.fr"\nrate = 2\n', encoding="utf-8")
    settings = load_settings({"CIVICBOT_DATA_DIR": str(tmp_path)})
    assert (settings.smtp_security, settings.smtp_username, settings.email_rate) == ("tls", "bot", 2.0)


@pytest.mark.parametrize(("changes", "named"), [
    ({"CIVICBOT_EMAIL_FROM": ""}, "email_from"),
    ({"CIVICBOT_EMAIL_FROM": "mairie"}, "email_from"),
    ({"CIVICBOT_PUBLIC_URL": ""}, "public_url"),
    ({"CIVICBOT_PUBLIC_URL": "civicbot.nantes.fr"}, "public_url"),
    ({"CIVICBOT_PUBLIC_URL": "ftp://civicbot.nantes.fr"}, "public_url"),
    ({"CIVICBOT_SMTP_SECURITY": "ssl3"}, "smtp_security"),
    ({"CIVICBOT_SMTP_PORT": "70000"}, "smtp_port"),
    ({"CIVICBOT_SMTP_PORT": "vingt-cinq"}, "smtp_port"),
    ({"CIVICBOT_SMTP_USERNAME": "bot"}, "smtp_password"),
    ({"CIVICBOT_EMAIL_RATE": "0"}, "email_rate"),
    ({"CIVICBOT_EMAIL_CONFIRM_HOURS": "-1"}, "email_confirm_hours"),
])
def test_a_wrong_setting_is_named(tmp_path: Path, changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings({"CIVICBOT_DATA_DIR": str(tmp_path), **GOOD, **changes})
