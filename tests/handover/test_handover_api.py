"""The agents' API: tokens with the scope agent, tickets without the resident's identity, clear
errors, and the resident's rights (export, erasure, retention) over their hand-over."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openapi_spec_validator import validate
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import CivicBot
from bot.contributions.maintenance import run_maintenance
from bot.contributions.privacy import export
from bot.db import Base, utcnow
from bot.handover.models import Ticket, TicketMessage
from bot.http import create_app
from bot.models import User
from bot.outbox import OutboxEntry
from bot.testing import ChatTester
from tests.support.handover import agent_token, bearer, conversation, handover_rows, tickets

PLATFORM_ID = "tg-70553-secret"  # the resident's platform id and chat: agents never see it
BASE = "/api/v1/handover/tickets"


@pytest.fixture
async def client(bot: CivicBot):
    async with TestClient(TestServer(create_app(bot))) as client:
        yield client


@pytest.fixture
async def agent(bot: CivicBot) -> dict[str, str]:
    return bearer(await agent_token(bot))


async def _resident_with_ticket(bot: CivicBot, *messages: str) -> tuple[ChatTester, int]:
    resident = ChatTester(bot, PLATFORM_ID, platform="telegram")
    await resident.say("/humain")
    for message in messages:
        await resident.say(message)
    [ticket] = [ticket for ticket in await tickets(bot) if ticket.status == "open"]
    return resident, ticket.id


async def test_agents_read_tickets_without_the_residents_identity(bot: CivicBot, client: TestClient,
                                                                  agent: dict) -> None:
    _, ticket_id = await _resident_with_ticket(bot, "Bonjour, mon trottoir est défoncé")
    listed = await client.get(BASE, headers=agent)
    assert listed.status == 200
    [summary] = (await listed.json())["tickets"]
    assert summary["id"] == ticket_id and summary["status"] == "open" and summary["waiting_since"]
    assert summary["last_message"]["text"] == "Bonjour, mon trottoir est défoncé"
    shown = await client.get(f"{BASE}/{ticket_id}", headers=agent)
    detail = await shown.json()
    assert [(m["author"], m["event"], m["text"]) for m in detail["messages"]] == [
        ("system", "opened", None), ("resident", None, "Bonjour, mon trottoir est défoncé")]
    async with bot.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
    for body in (await listed.text(), await shown.text()):
        assert PLATFORM_ID not in body and user.user_hash not in body and "telegram" not in body
        assert "user_id" not in body and "chat" not in body


async def test_an_answer_is_recorded_claims_the_ticket_and_is_queued(bot: CivicBot, client: TestClient,
                                                                      agent: dict) -> None:
    _, ticket_id = await _resident_with_ticket(bot, "Allô ?")
    response = await client.post(f"{BASE}/{ticket_id}/messages", json={"text": "  Bonjour,\nje regarde.  "},
                                 headers=agent)
    assert response.status == 201
    message = await response.json()
    assert (message["author"], message["text"]) == ("agent", "Bonjour,\nje regarde.")
    [summary] = (await (await client.get(BASE, headers=agent)).json())["tickets"]
    assert summary["agent"] == "Camille, accueil" and summary["waiting_since"] is None
    [row] = await handover_rows(bot)
    assert (row.platform, row.chat_id, row.payload["language"]) == ("telegram", PLATFORM_ID, "fr")
    assert row.payload["text"].endswith("Bonjour,\nje regarde.")


async def test_closing_tells_the_resident_and_forgets_their_chat(bot: CivicBot, client: TestClient,
                                                                 agent: dict) -> None:
    resident, ticket_id = await _resident_with_ticket(bot)
    response = await client.post(f"{BASE}/{ticket_id}/close", headers=agent)
    assert response.status == 200
    closed = await response.json()
    assert (closed["status"], closed["closed_by"]) == ("closed", "agent")
    [ticket] = await tickets(bot)
    assert (ticket.platform, ticket.chat_id) == (None, None)
    [notice] = await handover_rows(bot)
    assert notice.chat_id == PLATFORM_ID and "a clos la demande" in notice.payload["text"]
    assert (await (await client.get(BASE, headers=agent)).json())["tickets"] == []
    assert [t["id"] for t in (await (await client.get(f"{BASE}?status=closed", headers=agent)).json())["tickets"]] \
        == [ticket_id]
    for again in (client.post(f"{BASE}/{ticket_id}/close", headers=agent),
                  client.post(f"{BASE}/{ticket_id}/messages", json={"text": "Encore là ?"}, headers=agent)):
        refused = await again
        assert refused.status == 409 and (await refused.json())["error"]["field"] == "id"
    assert len(await handover_rows(bot)) == 1
    assert "Transmis" not in (await resident.say("bonjour")).text


async def test_pages_of_tickets(bot: CivicBot, client: TestClient, agent: dict) -> None:
    for name in ("r1", "r2", "r3"):
        await ChatTester(bot, name).say("/humain")
    first = await (await client.get(f"{BASE}?limit=2", headers=agent)).json()
    assert [t["id"] for t in first["tickets"]] == [3, 2] and first["next_before"] == 2
    second = await (await client.get(f"{BASE}?limit=2&before=2", headers=agent)).json()
    assert [t["id"] for t in second["tickets"]] == [1] and second["next_before"] is None


ROUTES = [("get", BASE), ("get", f"{BASE}/1"), ("post", f"{BASE}/1/messages"), ("post", f"{BASE}/1/close")]


@pytest.mark.parametrize("method, path", ROUTES)
async def test_no_token_or_the_wrong_scope_changes_nothing(bot: CivicBot, client: TestClient,
                                                           method: str, path: str) -> None:
    await _resident_with_ticket(bot)
    publisher = bearer(await agent_token(bot, "publish", "contributions"))
    for headers, status in (({}, 401), (bearer("cvb_unknown"), 401), ({"Authorization": "Basic eDp5"}, 401),
                            (publisher, 403)):
        response = await getattr(client, method)(path, json={"text": "Bonjour"}, headers=headers)
        assert response.status == status, (headers, await response.text())
        assert "WWW-Authenticate" in response.headers
    [ticket] = await tickets(bot)
    assert ticket.status == "open" and await handover_rows(bot) == []


@pytest.mark.parametrize("method, path", ROUTES[1:])
async def test_an_unknown_ticket_is_a_404(client: TestClient, agent: dict, method: str, path: str) -> None:
    response = await getattr(client, method)(path.replace("/1", "/4242"), json={"text": "Bonjour"}, headers=agent)
    assert response.status == 404
    assert (await response.json())["error"]["field"] == "id"


@pytest.mark.parametrize("path, body, field", [
    (f"{BASE}/abc", None, "id"),
    (f"{BASE}/0", None, "id"),
    (f"{BASE}/99999999999", None, "id"),
    (f"{BASE}?status=pending", None, "status"),
    (f"{BASE}?limit=0", None, "limit"),
    (f"{BASE}?before=-3", None, "before"),
    (f"{BASE}?sort=id", None, "sort"),
    (f"{BASE}/1/messages", {}, "text"),
    (f"{BASE}/1/messages", {"text": "   \u200b\n"}, "text"),
    (f"{BASE}/1/messages", {"text": ""}, "text"),
    (f"{BASE}/1/messages", {"text": "x" * 3001}, "text"),
    (f"{BASE}/1/messages", {"text": 42}, "text"),
    (f"{BASE}/1/messages", {"text": "Bonjour", "to": "someone"}, "to"),
    (f"{BASE}/1/messages", ["Bonjour"], "body"),
    (f"{BASE}/1/messages", "not json", "body"),
    (f"{BASE}/x/messages", {"text": "Bonjour"}, "id"),
])
async def test_bad_input_gets_a_400_naming_the_field(bot: CivicBot, client: TestClient, agent: dict,
                                                     path: str, body, field: str) -> None:
    await _resident_with_ticket(bot)
    if body is None:
        response = await client.get(path, headers=agent)
    elif body == "not json":
        response = await client.post(path, data="text=Bonjour", headers=agent)
    else:
        response = await client.post(path, json=body, headers=agent)
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["field"] == field and error["message"]
    assert await handover_rows(bot) == []


async def test_broken_json_is_a_400(bot: CivicBot, client: TestClient, agent: dict) -> None:
    _, ticket_id = await _resident_with_ticket(bot)
    response = await client.post(f"{BASE}/{ticket_id}/messages", data='{"text": "Bon',
                                 headers={**agent, "Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"]["field"] == "body"


async def test_the_description_is_valid_openapi(client: TestClient) -> None:
    response = await client.get("/api/v1/handover/openapi.json")
    document = await response.json()
    validate(document)
    assert {BASE, f"{BASE}/{{id}}", f"{BASE}/{{id}}/messages", f"{BASE}/{{id}}/close"} <= set(document["paths"])
    assert "Nantes" in document["info"]["title"]


async def test_the_console_is_served_with_a_strict_policy(client: TestClient) -> None:
    page = await client.get("/agent")
    assert page.status == 200 and "text/html" in page.headers["Content-Type"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    assert '<html lang="fr">' in html and "http" not in html.replace("http-equiv", "")  # no external asset
    for asset, kind in (("agent.js", "javascript"), ("agent.css", "text/css")):
        response = await client.get(f"/agent/{asset}")
        assert response.status == 200 and kind in response.headers["Content-Type"]
    assert (await client.get("/agent/agent.html.bak")).status == 404
    assert (await client.get("/agent/..%2Fapi.py")).status == 404


async def test_one_open_ticket_per_resident_is_kept_by_the_database(bot: CivicBot) -> None:
    await _resident_with_ticket(bot)
    [ticket] = await tickets(bot)
    async with bot.sessions() as session:
        session.add(Ticket(user_id=ticket.user_id))
        with pytest.raises(IntegrityError):
            await session.commit()
    async with bot.sessions() as session:
        session.add(Ticket(user_id=ticket.user_id, status="closed"))
        await session.commit()
    assert len(await tickets(bot)) == 2


async def test_the_export_holds_the_handover_and_erasure_removes_it(bot: CivicBot, client: TestClient,
                                                                    agent: dict) -> None:
    resident, ticket_id = await _resident_with_ticket(bot, "Ma question personnelle")
    await client.post(f"{BASE}/{ticket_id}/messages", json={"text": "Notre réponse"}, headers=agent)
    await resident.say("fin")
    async with bot.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        document = json.loads(json.dumps(await export(session, user), default=str))
    assert [row["id"] for row in document["handover_tickets"]] == [ticket_id]
    assert [row["text"] for row in document["handover_messages"] if row["text"]] == [
        "Ma question personnelle", "Notre réponse"]
    await resident.say("/oublier")
    assert "effac" in (await resident.say("confirm")).text.lower()
    assert await tickets(bot) == [] and await conversation(bot, ticket_id) == []
    assert await handover_rows(bot) == []


async def test_messages_of_tickets_closed_long_ago_are_deleted(bot: CivicBot, client: TestClient,
                                                               agent: dict) -> None:
    old, old_id = await _resident_with_ticket(bot, "Vieux message")
    await client.post(f"{BASE}/{old_id}/messages", json={"text": "Vieille réponse"}, headers=agent)
    await old.say("fin")
    recent = ChatTester(bot, "recent")
    await recent.say("/humain")
    await recent.say("Message récent")
    await recent.say("fin")
    still_open = ChatTester(bot, "still-open")
    await still_open.say("/humain")
    await still_open.say("Toujours ouvert")
    long_ago = utcnow() - timedelta(days=bot.settings.handover_retention_days + 1)
    async with bot.sessions() as session:
        await session.execute(update(Ticket).where(Ticket.id == old_id).values(closed_at=long_ago))
        await session.execute(update(Ticket).where(Ticket.status == "open").values(opened_at=long_ago))
        await session.execute(update(TicketMessage).values(created_at=long_ago))
        await session.execute(update(OutboxEntry).values(status="sent", created_at=long_ago))
        await session.commit()
    done = await run_maintenance(bot)
    assert done["handover_messages_deleted"] == 4  # opened, question, answer, closed
    assert await conversation(bot, old_id) == []
    remaining = {ticket.id: [row.text for row in await conversation(bot, ticket.id) if row.text]
                 for ticket in await tickets(bot)}
    assert remaining == {old_id: [], old_id + 1: ["Message récent"], old_id + 2: ["Toujours ouvert"]}
    assert await handover_rows(bot) == []  # the sent copy of the answer is gone too
    assert (await run_maintenance(bot))["handover_messages_deleted"] == 0


async def test_migration_matches_the_models(engine: AsyncEngine) -> None:
    ours = {Ticket.__tablename__, TicketMessage.__tablename__}

    def differences(connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [diff for diff in compare_metadata(context, Base.metadata) if ours & set(_names(diff))]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


def _names(diff) -> list[str]:
    """The table names a difference of ``compare_metadata`` is about."""
    names = []
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item:
            table = getattr(part, "table", None)
            names += [name for name in (getattr(table, "name", None), getattr(part, "name", None), part)
                      if isinstance(name, str)]
    return names
