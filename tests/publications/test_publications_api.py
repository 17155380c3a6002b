"""The publications API: validated, authenticated, with progress; conforms to its OpenAPI description."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate
from sqlalchemy import func, select

from bot.api import tokens
from bot.app import CivicBot
from bot.http import create_app
from bot.outbox import OutboxEntry
from bot.publications.models import Publication
from tests.support.delivery import RecordingConnector, add_subscribers, running, wait_until

GOOD = {
    "kind": "works",
    "title": {"fr": "Travaux boulevard de Doulon", "en": "Roadworks on boulevard de Doulon"},
    "text": {"fr": "Circulation alternée du 3 au 7 mars.", "en": "Alternate traffic from 3 to 7 March."},
    "link": "https://metropole.nantes.fr/travaux",
    "topics": ["travaux", "travaux"],
    "areas": ["Doulon - Bottière"],
}


async def make_token(bot: CivicBot, *scopes: str) -> dict[str, str]:
    async with bot.sessions() as session:
        _, secret = await tokens.create_token(session, "city website", scopes)
        await session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def client(bot: CivicBot):
    async with TestClient(TestServer(create_app(bot))) as test_client:
        test_client.publisher = await make_token(bot, "publish")
        test_client.reader = await make_token(bot, "read")
        yield test_client


async def stored(bot: CivicBot) -> tuple[int, int]:
    async with bot.sessions() as session:
        publications = (await session.execute(select(func.count()).select_from(Publication))).scalar()
        rows = (await session.execute(select(func.count()).select_from(OutboxEntry))).scalar()
    return publications, rows


async def test_publishing_targets_the_subscribers_and_reports_progress(bot: CivicBot, client) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["1", "2"])
        await add_subscribers(session, ["3"], area="doulon")
        await add_subscribers(session, ["4"], area="chantenay")  # works elsewhere
        await add_subscribers(session, ["5"], topic="culture")
    response = await client.post("/api/v1/publications", json=GOOD, headers=client.publisher)
    body = await response.json()
    assert response.status == 201, body
    assert response.headers["Location"] == f"/api/v1/publications/{body['id']}"
    assert body["topics"] == ["travaux"] and body["published_by"] == "city website"
    assert body["status"] == "delivering"
    assert body["progress"] == {"targeted": 3, "sent": 0, "pending": 3, "failed": 0, "blocked": 0,
                                "cancelled": 0}
    connector = RecordingConnector()
    async with running(bot, {"telegram": connector}):
        await connector.wait_for(3)

        async def delivered() -> bool:
            reply = await client.get(f"/api/v1/publications/{body['id']}", headers=client.reader)
            return (await reply.json())["progress"]["sent"] == 3

        await wait_until(delivered)
    final = await (await client.get(f"/api/v1/publications/{body['id']}", headers=client.reader)).json()
    assert final["status"] == "done" and final["progress"]["pending"] == 0
    assert sorted(connector.per_chat()) == ["1", "2", "3"]


@pytest.mark.parametrize("change, field", [
    ({"title": {"en": "only English"}}, "title.fr"),
    ({"title": {"fr": "   "}}, "title.fr"),
    ({"text": {"fr": "x" * 3201}}, "text.fr"),
    ({"kind": "advert"}, "kind"),
    ({"topics": ["travaux", "astrologie"]}, "topics[1]"),
    ({"topics": ["Travaux"]}, "topics[0]"),
    ({"topics": [], "areas": []}, "topics"),
    ({"link": "javascript:alert(1)"}, "link"),
    ({"scheduled_at": "2026-03-01T10:00:00"}, "scheduled_at"),
    ({"scheduled_at": "2999-03-01T10:00:00+01:00"}, "scheduled_at"),
    ({"scheduled_at": 0}, "scheduled_at"),
    ({"areas": ["ok", 12]}, "areas[1]"),
    ({"sender": "someone"}, "sender"),
])
async def test_a_bad_field_gets_400_naming_it_and_stores_nothing(bot: CivicBot, client, change, field) -> None:
    response = await client.post("/api/v1/publications", json={**GOOD, **change}, headers=client.publisher)
    body = await response.json()
    assert response.status == 400 and body["error"]["field"] == field, body
    assert body["error"]["message"]
    assert await stored(bot) == (0, 0)


@pytest.mark.parametrize("data, headers", [
    (b"{not json", {"Content-Type": "application/json"}),
    (b"\xff\xfe", {"Content-Type": "application/json"}),
    (b"[1, 2]", {"Content-Type": "application/json"}),
    (b'{"kind": "news"}', {"Content-Type": "text/plain"}),
])
async def test_a_body_that_is_not_a_json_object_gets_400(bot: CivicBot, client, data, headers) -> None:
    response = await client.post("/api/v1/publications", data=data, headers={**client.publisher, **headers})
    body = await response.json()
    assert response.status == 400 and body["error"]["field"] == "body"
    assert await stored(bot) == (0, 0)


async def test_without_the_publish_scope_nothing_is_published(bot: CivicBot, client) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["1"])
    assert (await client.post("/api/v1/publications", json=GOOD)).status == 401
    bad = {"Authorization": "Bearer cvb_not-a-token"}
    assert (await client.post("/api/v1/publications", json=GOOD, headers=bad)).status == 401
    assert (await client.post("/api/v1/publications", json=GOOD, headers=client.reader)).status == 403
    assert await stored(bot) == (0, 0)
    assert (await client.get("/api/v1/publications")).status == 401


async def test_listing_pages_from_the_newest(bot: CivicBot, client) -> None:
    for number in range(5):
        body = {**GOOD, "title": {"fr": f"Publication {number}"}}
        assert (await client.post("/api/v1/publications", json=body, headers=client.publisher)).status == 201
    first = await (await client.get("/api/v1/publications?limit=2", headers=client.reader)).json()
    assert [p["title"]["fr"] for p in first["publications"]] == ["Publication 4", "Publication 3"]
    url = f"/api/v1/publications?limit=3&before={first['next_before']}"
    second = await (await client.get(url, headers=client.reader)).json()
    assert [p["title"]["fr"] for p in second["publications"]] == ["Publication 2", "Publication 1", "Publication 0"]
    assert second["next_before"] is None


@pytest.mark.parametrize("url, status, field", [
    ("/api/v1/publications/999", 404, "id"),
    ("/api/v1/publications/abc", 400, "id"),
    ("/api/v1/publications/99999999999999999999", 400, "id"),
    ("/api/v1/publications?limit=0", 400, "limit"),
    ("/api/v1/publications?limit=²", 400, "limit"),
    ("/api/v1/publications?before=-1", 400, "before"),
    ("/api/v1/publications?page=2", 400, "page"),
])
async def test_bad_ids_and_parameters_are_answered_in_json(client, url, status, field) -> None:
    response = await client.get(url, headers=client.reader)
    assert response.status == status and (await response.json())["error"]["field"] == field


async def test_the_openapi_description_is_served_and_valid(client) -> None:
    response = await client.get("/api/v1/openapi.json")
    document = await response.json()
    validate(document)
    assert "travaux" in document["components"]["schemas"]["PublicationIn"]["properties"]["topics"]["items"]["enum"]
    assert {"/api/v1/publications", "/api/v1/publications/{id}"} <= set(document["paths"])
