"""Translation between Telegram objects (real python-telegram-bot classes) and the message model."""
from __future__ import annotations

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from telegram import Bot, Message

from bot.i18n import Catalog
from bot.intent import discover
from bot.messages import Attachment, Choice, Location, Reply
from connectors import telegram_messages as tm
from tests.support.servers.telegram_api import DEFAULT_TOKEN, TelegramApiServer
from tests.support.servers.telegram_html import parse_html, utf16_length

INTENTS = discover()
CATALOG = Catalog.load({name: spec.messages for name, spec in INTENTS.items()})
SERVER = TelegramApiServer()  # only to build realistic update JSON; never started


def _message(chat_id: int = 77, text: str | None = None, **content) -> Message:
    data = SERVER.message_update(chat_id, text, **content)["message"]
    return Message.de_json(data, Bot(DEFAULT_TOKEN))


def test_a_text_message_keeps_the_platform_ids_and_language() -> None:
    message = _message(77, "Bonjour", language_code="fr-FR")
    incoming = tm.incoming(message, message.from_user)
    assert (incoming.platform, incoming.chat_id, incoming.user_id) == ("telegram", "77", "77")
    assert incoming.text == "Bonjour" and incoming.language == "fr"
    other = _message(78, "hola", language_code="es")
    assert tm.incoming(other, other.from_user).language is None


def test_a_photo_keeps_the_largest_sizes_file_id_and_its_caption() -> None:
    sizes = [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
             {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280}]
    message = _message(photo=sizes, caption="Nid-de-poule rue de Strasbourg")
    incoming = tm.incoming(message, message.from_user)
    assert incoming.attachment == Attachment("photo", "large")
    assert incoming.text == "Nid-de-poule rue de Strasbourg"


def test_documents_are_images_or_files() -> None:
    image = _message(document={"file_id": "img", "file_unique_id": "i", "mime_type": "image/jpeg"})
    pdf = _message(document={"file_id": "pdf", "file_unique_id": "p", "mime_type": "application/pdf"})
    assert tm.incoming(image, image.from_user).attachment == Attachment("image", "img")
    assert tm.incoming(pdf, pdf.from_user).attachment == Attachment("file", "pdf")


def test_a_location_and_a_venue_become_a_location() -> None:
    point = {"latitude": 47.2184, "longitude": -1.5536}
    shared = _message(location=point)
    venue = _message(location=point,
                     venue={"location": point, "title": "Mairie", "address": "2 rue de l'Hôtel de Ville"})
    for message in (shared, venue):
        assert tm.incoming(message, message.from_user).location == Location(47.2184, -1.5536)


def test_a_given_text_replaces_the_message_and_drops_its_attachment() -> None:
    message = _message(photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}])
    incoming = tm.incoming(message, message.from_user, "/aide")
    assert incoming.text == "/aide" and incoming.attachment is None


def test_deep_link_parameters() -> None:
    commands = {"aide", "abonner", "signaler"}
    assert tm.deep_link_text("aide", commands) == "/aide"
    assert tm.deep_link_text("ABONNER-travaux", commands) == "/abonner travaux"
    assert tm.deep_link_text("abonner-conseil_municipal-malakoff", commands) == \
        "/abonner conseil municipal malakoff"
    assert tm.deep_link_text("inconnu", commands) == "/start"
    assert tm.deep_link_text("-", commands) == "/start"


def test_split_text_prefers_paragraphs_then_lines_then_words() -> None:
    assert tm.split_text("court") == ["court"]
    assert tm.split_text("aaaa\n\nbbbb", limit=6) == ["aaaa", "bbbb"]
    assert tm.split_text("aaaa bb\ncc", limit=8) == ["aaaa bb", "cc"]
    assert tm.split_text("aaaa bbbb", limit=6) == ["aaaa", "bbbb"]
    assert tm.split_text("abcdefghij", limit=4) == ["abcd", "efgh", "ij"]
    assert tm.split_text("   ") == []


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab é\n😀<&>"), max_size=400), st.integers(4, 60))
def test_split_text_never_exceeds_the_limit_and_loses_no_character(text: str, limit: int) -> None:
    pieces = tm.split_text(text, limit)
    assert all(piece and utf16_length(piece) <= limit for piece in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


@given(st.text(max_size=200).filter(lambda text: "\x00" not in text))
def test_escaped_text_reads_back_exactly_in_html_mode(text: str) -> None:
    plain, entities = parse_html(tm.escape(text))
    assert plain == text and entities == []


def test_choices_are_inline_buttons_valued_with_their_value() -> None:
    reply = Reply("?", [Choice("Aide", "/aide"), Choice("Très long", "x" * 65)])
    [part] = tm.render(reply, CATALOG)
    buttons = [row[0] for row in part.markup.inline_keyboard]
    assert [(b.text, b.callback_data) for b in buttons] == [("Aide", "/aide"), ("Très long", "2")]


def test_a_location_request_in_english() -> None:
    reply = Reply("Where?", [Choice("Cancel", "cancel")], request_location=True, language="en")
    [part] = tm.render(reply, CATALOG)
    first, second = (row[0] for row in part.markup.keyboard)
    assert first.text == "📍 Send my location" and first.request_location
    assert second.text == "Cancel" and not second.request_location


def test_command_menus_take_each_languages_commands() -> None:
    french = {command.command: command.description
              for command in tm.command_menu(INTENTS.values(), CATALOG, "fr")}
    english = {command.command: command.description
               for command in tm.command_menu(INTENTS.values(), CATALOG, "en")}
    assert {"aide", "bonjour", "signaler", "humain", "mesdonnees", "oublier"} <= set(french)
    assert {"help", "hello", "report", "human", "mydata", "forget"} <= set(english)
    assert not set(french) & {"help", "hello", "report", "start"}
    assert french["service"] == CATALOG.get("core.choice.find_service", "fr")
    assert english["service"] == CATALOG.get("core.choice.find_service", "en") != french["service"]
    assert len(french) == len(english) == sum(1 for spec in INTENTS.values() if spec.commands)
