"""The Matrix connector's translations, without a homeserver: events in, replies out, errors."""
from __future__ import annotations

import dataclasses
import logging
from types import SimpleNamespace

import pytest
from nio import ErrorResponse, RoomMemberEvent, RoomMessage

from bot.config import ConfigError, Settings
from bot.messages import Attachment, Choice, Location, Reply
from connectors.base import RateLimited, RecipientGone, TemporaryError
from connectors.matrix import (
    MAX_BODY_CHARS,
    check_settings,
    fresh_events,
    parse_geo_uri,
    protect_logs,
    raise_for_error,
    render,
    to_incoming,
)

BOT = "@civicbot:city.example"
ALICE = "@alice:city.example"


def message(content: dict, sender: str = ALICE) -> RoomMessage:
    return RoomMessage.parse_event({"type": "m.room.message", "event_id": "$e", "sender": sender,
                                    "origin_server_ts": 1, "content": content})


def membership(user: str, state: str, previous: str | None = None) -> RoomMemberEvent:
    unsigned = {"prev_content": {"membership": previous}} if previous else {}
    return RoomMemberEvent.from_dict({
        "type": "m.room.member", "event_id": f"${user}{state}", "sender": user,
        "origin_server_ts": 1, "state_key": user, "content": {"membership": state},
        "unsigned": unsigned})


@pytest.mark.parametrize("uri, expected", [
    ("geo:47.2184,-1.5536", Location(47.2184, -1.5536)),
    ("geo:47.2184,-1.5536;u=35", Location(47.2184, -1.5536)),
    ("GEO:47,-1,12.5;crs=wgs84", Location(47.0, -1.0)),
    ("geo:91,0", None),
    ("geo:47.2", None),
    ("geo:north-pole", None),
    ("", None),
])
def test_geo_uris(uri: str, expected: Location | None) -> None:
    assert parse_geo_uri(uri) == expected


def test_text_location_and_images_become_incoming_messages() -> None:
    text = to_incoming(message({"msgtype": "m.text", "body": "bonjour"}), "!room")
    assert (text.platform, text.chat_id, text.user_id, text.text) == ("matrix", "!room", ALICE, "bonjour")

    located = to_incoming(message({"msgtype": "m.location", "body": "ici",
                                   "geo_uri": "geo:47.2,-1.5"}), "!room")
    assert located.location == Location(47.2, -1.5) and located.text == ""

    image = to_incoming(message({"msgtype": "m.image", "body": "nid-de-poule.jpg",
                                 "url": "mxc://city.example/abc"}), "!room")
    assert image.attachment == Attachment("image", "mxc://city.example/abc") and image.text == ""

    captioned = to_incoming(message({"msgtype": "m.image", "body": "Rue Crébillon",
                                     "filename": "photo.jpg", "url": "mxc://city.example/d"}), "!r")
    assert captioned.text == "Rue Crébillon"


def test_edits_notices_and_reply_quotes() -> None:
    edit = message({"msgtype": "m.text", "body": "* bonjour",
                    "m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}})
    assert to_incoming(edit, "!room") is None
    assert to_incoming(message({"msgtype": "m.notice", "body": "beep"}), "!room") is None
    reply = message({"msgtype": "m.text", "body": "> <@civicbot:city.example> 1. Aide\n\n2",
                     "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}}})
    assert to_incoming(reply, "!room").text == "2"


def test_history_before_the_invitation_is_not_fresh() -> None:
    old, new = message({"msgtype": "m.text", "body": "old"}), message({"msgtype": "m.text", "body": "new"})
    invited = [old, membership(BOT, "invite"), new, membership(BOT, "join", "invite")]
    assert fresh_events(invited, BOT)[0] is new
    joined_only = [old, membership(BOT, "join", "invite"), new]
    assert fresh_events(joined_only, BOT) == [new]
    renamed = [old, membership(BOT, "join", "join"), new]  # a profile change is no new join
    assert fresh_events(renamed, BOT) == renamed
    assert fresh_events([old, membership(ALICE, "join"), new], BOT)[0] is old


def test_a_reply_in_html_with_a_plain_text_fallback() -> None:
    reply = Reply("Voir https://data.nantes.fr/x?a=1&b=2.\n<b>pas du HTML</b>\n\nFin",
                  [Choice("Oui & non", "/oui"), Choice("Aide", "/aide")])
    [content] = render(reply, "Partagez votre position.")
    assert content["body"].endswith("1. Oui & non\n2. Aide\n\nPartagez votre position.")
    html = content["formatted_body"]
    assert '<a href="https://data.nantes.fr/x?a=1&amp;b=2">' in html and "</a>." in html
    assert "&lt;b&gt;pas du HTML&lt;/b&gt;" in html and "<br/>" in html and "<p>Fin</p>" in html
    assert "<ol><li>Oui &amp; non</li><li>Aide</li></ol>" in html
    assert html.endswith("<p><em>Partagez votre position.</em></p>")


def test_a_long_reply_is_split_and_its_choices_come_last() -> None:
    text = "\n\n".join(f"Paragraphe {number} " + "mot " * 300 for number in range(60))
    contents = render(Reply(text, [Choice("Aide", "/aide")]))
    assert len(contents) > 1
    assert all(len(content["body"]) <= MAX_BODY_CHARS + 20 for content in contents)
    assert contents[-1]["body"].endswith("1. Aide")
    assert all("1. Aide" not in content["body"] for content in contents[:-1])
    assert "".join(content["body"] for content in contents).count("Paragraphe") == 60


def test_a_reply_without_text_still_shows_its_choices() -> None:
    [content] = render(Reply("", [Choice("Aide", "/aide")]))
    assert content["body"].endswith("1. Aide") and "<li>Aide</li>" in content["formatted_body"]


def error(code: str | None, status: int, retry_after_ms: int | None = None) -> ErrorResponse:
    response = ErrorResponse("message", code, retry_after_ms)
    response.transport_response = SimpleNamespace(status=status)
    return response


def test_homeserver_errors_map_to_neutral_send_errors() -> None:
    with pytest.raises(RateLimited) as limited:
        raise_for_error(error("M_LIMIT_EXCEEDED", 429, 1500))
    assert limited.value.retry_after == 1.5
    with pytest.raises(RateLimited):
        raise_for_error(error(None, 429))
    for code in ("M_FORBIDDEN", "M_NOT_FOUND"):
        with pytest.raises(RecipientGone):
            raise_for_error(error(code, 403))
    for code, status in ((None, 502), ("M_UNKNOWN", 500), ("M_UNKNOWN_TOKEN", 401)):
        with pytest.raises(TemporaryError):
            raise_for_error(error(code, status))
    raise_for_error(SimpleNamespace())  # a success passes


@pytest.mark.parametrize("changes, setting", [
    ({"matrix_homeserver": "matrix.example.org"}, "matrix_homeserver"),
    ({"matrix_user_id": "civicbot"}, "matrix_user_id"),
    ({"matrix_password": ""}, "matrix_password"),
])
def test_unusable_settings_are_named(changes: dict, setting: str) -> None:
    settings = Settings(matrix_homeserver="https://matrix.example.org",
                        matrix_user_id="@civicbot:example.org", matrix_password="pw")
    check_settings(settings)
    with pytest.raises(ConfigError, match=setting):
        check_settings(dataclasses.replace(settings, **changes))


def test_user_ids_in_the_librarys_log_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    protect_logs(log_message_text=False)
    with caplog.at_level(logging.INFO):
        library = logging.getLogger("nio.crypto.log")
        library.warning("Curve key for user %s and device %s not found", ALICE, "DEVICE")
        library.info("Creating Inbound session for %s", ALICE)  # below the library's level
    assert "Curve key for user @… and device DEVICE" in caplog.text
    assert ALICE not in caplog.text and "Inbound" not in caplog.text
