"""Settings from defaults, a TOML file and CIVICBOT_* variables, with clear errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_use_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"CIVICBOT_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'civicbot.db'}"
    assert settings.log_message_text is False


def test_toml_tables_and_environment_precedence(tmp_path: Path) -> None:
    (tmp_path / "civicbot.toml").write_text(
        'city_name = "Rennes"\nnlu_threshold = 0.5\n[telegram]\ntoken = "from-file"\nmode = "webhook"\n'
        '[matrix]\nallowed_servers = ["example.org", "example.net"]\n',
        encoding="utf-8",
    )
    settings = load_settings({"CIVICBOT_DATA_DIR": str(tmp_path), "CIVICBOT_TELEGRAM_TOKEN": "from-env",
                              "CIVICBOT_LOG_MESSAGE_TEXT": "yes", "CIVICBOT_TOPICS": "a, b"})
    assert settings.city_name == "Rennes" and settings.nlu_threshold == 0.5
    assert settings.telegram_token == "from-env" and settings.telegram_mode == "webhook"
    assert settings.matrix_allowed_servers == ["example.org", "example.net"]
    assert settings.log_message_text is True and settings.topics == ["a", "b"]


def test_explicit_config_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('city_name = "Lyon"\n', encoding="utf-8")
    assert load_settings({"CIVICBOT_CONFIG": str(path), "CIVICBOT_DATA_DIR": str(tmp_path)}).city_name == "Lyon"


@pytest.mark.parametrize(
    ("content", "environ", "message"),
    [
        ("nlu_threshold = 'high'\n", {}, "nlu_threshold"),
        ("no_such_setting = 1\n", {}, "no_such_setting"),
        ("city_name = \n", {}, "civicbot.toml"),
        ("", {"CIVICBOT_HTTP_PORT": "eighty"}, "http_port"),
        ("", {"CIVICBOT_LOG_MESSAGE_TEXT": "maybe"}, "log_message_text"),
        ("", {"CIVICBOT_DEFAULT_LANGUAGE": "de"}, "default_language"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, content: str, environ: dict, message: str) -> None:
    (tmp_path / "civicbot.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings({"CIVICBOT_DATA_DIR": str(tmp_path), **environ})
