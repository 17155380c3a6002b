"""The city's HTTP API for polls and contributions: bearer tokens with scopes, validation, results."""
from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.tokens import create_token
from bot.app import CivicBot
from bot.db import utcnow
from bot.http import create_app
from bot.testing import ChatTester
from tests.support.contributions import outbox_rows, report


@pytest.fixture
async def client(bot: CivicBot):
    async with TestClient(TestServer(create_app(bot))) as client:
        yield client


async def _token(bot: CivicBot, *scopes: str) -> dict[str, str]:
    async with bot.sessions() as session:
        _, secret = await create_token(session, "city", scopes)
        await session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _poll(**changes) -> dict:
    return {"question": {"fr": "Un marché le dimanche ?", "en": "A Sunday market?"},
            "options": [{"fr": "Oui", "en": "Yes"}, {"fr": "Non"}],
            "closes_at": (utcnow() + timedelta(days=7)).isoformat(), "kind": "consultation",
            **changes}


async def test_the_city_opens_a_poll_residents_vote_and_it_reads_the_results(bot: CivicBot,
                                                                              client: TestClient) -> None:
    headers = await _token(bot, "polls")
    response = await client.post("/api/v1/polls", json=_poll(), headers=headers)
    assert response.status == 201, await response.text()
    poll = await response.json()
    assert response.headers["Location"] == f"/api/v1/polls/{poll['id']}"
    resident = ChatTester(bot, "alice")
    assert "marché" in (await resident.say("/voter")).text
    await resident.say("Oui")
    await resident.say("Le dimanche matin seulement")
    await resident.say("anonymous")
    shown = await (await client.get(f"/api/v1/polls/{poll['id']}", headers=headers)).json()
    assert [option["votes"] for option in shown["options"]] == [1, 0]
    assert shown["opinions"] == ["Le dimanche matin seulement"]
    assert "alice" not in str(shown)
    listed = await (await client.get("/api/v1/polls", headers=headers)).json()
    assert [item["id"] for item in listed["polls"]] == [poll["id"]]


@pytest.mark.parametrize("body, field", [
    (_poll(options=[{"fr": "Seule"}]), "options"),
    (_poll(question={"en": "English only"}), "question.fr"),
    (_poll(closes_at=(utcnow() - timedelta(days=1)).isoformat()), "body"),
    (_poll(closes_at="demain"), "closes_at"),
    (_poll(kind="referendum"), "kind"),
    (_poll(options=[{"fr": "Oui"}, {"fr": "   "}]), "options[1].fr"),
    (_poll(surprise=True), "surprise"),
])
async def test_a_bad_poll_gets_a_400_naming_the_field(bot: CivicBot, client: TestClient, body, field) -> None:
    headers = await _token(bot, "polls")
    response = await client.post("/api/v1/polls", json=body, headers=headers)
    assert response.status == 400
    assert (await response.json())["error"]["field"] == field
    assert (await (await client.get("/api/v1/polls", headers=headers)).json())["polls"] == []


async def test_no_token_or_a_wrong_scope_changes_nothing(bot: CivicBot, client: TestClient) -> None:
    assert (await client.post("/api/v1/polls", json=_poll())).status == 401
    publish_only = await _token(bot, "publish")
    assert (await client.post("/api/v1/polls", json=_poll(), headers=publish_only)).status == 403
    assert (await client.get("/api/v1/contributions", headers=publish_only)).status == 403
    bad = {"Authorization": "Bearer cvb_nope"}
    assert (await client.patch("/api/v1/contributions/S-AAAAAA", json={"status": "closed"},
                               headers=bad)).status == 401
    assert (await client.get("/api/v1/polls", headers=await _token(bot, "polls"))).status == 200
    assert "pas de consultation" in (await ChatTester(bot, "alice").say("/voter")).text


async def test_the_city_reads_contributions_and_sets_their_status(bot: CivicBot, client: TestClient) -> None:
    headers = await _token(bot, "contributions")
    reference = await report(ChatTester(bot, "alice"), "voirie", "Trou rue Crébillon")
    await report(ChatTester(bot, "bob"), "tags", "Tag", point=(47.238, -1.53), link="anonymous")
    listed = await (await client.get("/api/v1/contributions?kind=report&limit=1", headers=headers)).json()
    assert len(listed["contributions"]) == 1 and listed["next_before"]
    older = await (await client.get(f"/api/v1/contributions?before={listed['next_before']}",
                                    headers=headers)).json()
    assert older["contributions"][0]["reference"] == reference and older["next_before"] is None
    assert "alice" not in str(older) and "user" not in str(older)
    for query in ("kind=", "status=", "kind=rapport", "status=ouvert"):  # an empty filter is a mistake too
        refused = await client.get(f"/api/v1/contributions?{query}", headers=headers)
        assert refused.status == 400 and query.split("=")[0] in (await refused.json())["error"]["field"]
    response = await client.patch(f"/api/v1/contributions/{reference.lower()}", headers=headers,
                                  json={"status": "closed", "notes": "Rebouché le 3 mars"})
    assert response.status == 200 and (await response.json())["status"] == "closed"
    news = await outbox_rows(bot, "message")
    assert [row.chat_id for row in news] == ["alice"] and "Rebouché le 3 mars" in news[0].payload["text"]
    assert (await client.patch(f"/api/v1/contributions/{reference}", json={}, headers=headers)).status == 400
    assert (await client.patch("/api/v1/contributions/S-ZZZZZZ", json={"notes": "x"},
                               headers=headers)).status == 404
    assert (await client.get("/api/v1/contributions?limit=0", headers=headers)).status == 400
    bad_type = await client.patch(f"/api/v1/contributions/{reference}", data="status=closed", headers=headers)
    assert bad_type.status == 400


async def test_a_poll_closing_in_the_past_is_told_why(bot: CivicBot, client: TestClient) -> None:
    """A rule across fields says its own message, not that the body is no JSON object."""
    response = await client.post("/api/v1/polls", headers=await _token(bot, "polls"),
                                 json=_poll(closes_at=(utcnow() - timedelta(days=1)).isoformat()))
    assert response.status == 400
    assert "closes_at must come after" in (await response.json())["error"]["message"]


@pytest.mark.parametrize(("name", "value"), [("kind", "petition"), ("status", "en cours")])
async def test_an_unknown_kind_or_status_filter_is_a_400_naming_it(
        bot: CivicBot, client: TestClient, name: str, value: str) -> None:
    response = await client.get("/api/v1/contributions", params={name: value},
                                headers=await _token(bot, "contributions"))
    assert response.status == 400 and (await response.json())["error"]["field"] == name
