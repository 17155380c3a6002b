"""The Open311 GeoReport v2 client against a back end on loopback: calls, errors, slowness."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from connectors.open311 import MAX_DESCRIPTION_CHARS, Open311Client, Open311Error, clean_description
from tests.support.servers.open311 import API_KEY, Open311Server


@pytest.fixture
def server(open311_server: Open311Server) -> Open311Server:
    return open311_server


@pytest.fixture
async def client(server: Open311Server):
    async with Open311Client(server.url, API_KEY, timeout=30.0) as client:  # never reached on loopback
        yield client


async def test_services_and_definition(client: Open311Client) -> None:
    services = {service.code: service for service in await client.services()}
    assert services["eclairage"].has_metadata and services["depot"].type == "batch"
    assert "lampadaire" in services["eclairage"].keywords
    attributes = await client.service_definition("eclairage")
    assert [a.code for a in attributes] == ["etat", "numero"]
    assert attributes[0].required and ("eteint", "Éteint") in attributes[0].values


async def test_submit_with_a_point_and_attributes(client: Open311Client, server: Open311Server) -> None:
    receipt = await client.submit("eclairage", "Lampadaire éteint", latitude=47.2, longitude=-1.55,
                                  attributes={"etat": "eteint"}, media_url="https://x.test/p.jpg")
    assert receipt.service_request_id and receipt.token is None
    form = server.posts[-1]
    assert form["service_code"] == "eclairage" and form["attribute[etat]"] == "eteint"
    assert float(form["lat"]) == 47.2 and float(form["long"]) == -1.55
    assert form["media_url"] == "https://x.test/p.jpg" and form["api_key"] == API_KEY


async def test_submit_with_an_address_and_a_jurisdiction(server: Open311Server) -> None:
    async with Open311Client(server.url, API_KEY, jurisdiction_id="nantes.fr") as client:
        await client.submit("voirie", "Trou", address="2 rue de la Paix")
    assert server.posts[-1]["address_string"] == "2 rue de la Paix"
    assert server.posts[-1]["jurisdiction_id"] == "nantes.fr"


async def test_batch_service_token_resolves_later(client: Open311Client, server: Open311Server) -> None:
    server.batch_ready = False
    receipt = await client.submit("depot", "Canapé abandonné", address="quai de la Fosse")
    assert receipt.token and receipt.service_request_id is None
    assert await client.resolve_token(receipt.token) is None
    server.batch_ready = True
    request_id = await client.resolve_token(receipt.token)
    assert request_id in server.requests
    assert await client.resolve_token("unknown-token") is None


async def test_statuses_follow_the_back_end(client: Open311Client, server: Open311Server) -> None:
    first = await client.submit("voirie", "Trou 1", address="a")
    second = await client.submit("voirie", "Trou 2", address="b")
    server.set_status(second.service_request_id, "closed", "Rebouché le 3 mars")
    statuses = {s.service_request_id: s for s in await client.statuses(
        [first.service_request_id, second.service_request_id])}
    assert statuses[first.service_request_id].status == "open"
    closed = statuses[second.service_request_id]
    assert closed.status == "closed" and closed.status_notes == "Rebouché le 3 mars"
    assert closed.updated_datetime is not None


@pytest.mark.parametrize("key, code, status", [("wrong-key", "voirie", 403),
                                               (API_KEY, "nosuchservice", 404)])
async def test_refusals_are_not_retryable_and_carry_the_errors(server: Open311Server, key: str,
                                                               code: str, status: int) -> None:
    async with Open311Client(server.url, key) as client:
        with pytest.raises(Open311Error) as caught:
            await client.submit(code, "x", address="y")
    assert caught.value.status == status and not caught.value.retryable
    assert caught.value.errors and caught.value.errors[0]["code"] == status


async def test_a_missing_required_attribute_is_a_400(client: Open311Client) -> None:
    with pytest.raises(Open311Error) as caught:
        await client.submit("eclairage", "Lampadaire", address="x")
    assert caught.value.status == 400 and "etat" in caught.value.errors[0]["description"]


async def test_no_location_is_refused_before_any_call(client: Open311Client, server: Open311Server) -> None:
    with pytest.raises(Open311Error):
        await client.submit("voirie", "Trou")
    assert not server.calls


async def test_server_errors_slowness_and_downtime_are_retryable(server: Open311Server,
                                                                 client: Open311Client) -> None:
    server.failing = 503
    with pytest.raises(Open311Error) as caught:
        await client.services()
    assert caught.value.retryable and caught.value.status == 503
    server.failing, server.delay = None, 1.0
    async with Open311Client(server.url, API_KEY, timeout=0.3) as impatient:  # gives up before the answer
        with pytest.raises(Open311Error) as caught:
            await impatient.services()
    assert caught.value.retryable and caught.value.status is None
    server.delay = 0
    await server.stop()
    with pytest.raises(Open311Error) as caught:
        await client.services()
    assert caught.value.retryable
    await server.start()
    assert len(await client.services()) == 3


def test_clean_description_removes_html_and_limits_the_length() -> None:
    assert clean_description("<b>Trou</b> <script>x</script> &amp; <<i>i>bosse") == "Trou x &amp; bosse"
    assert clean_description("a < b et c > d") == "a < b et c > d"
    long = clean_description("é" * 5000)
    assert len(long) == MAX_DESCRIPTION_CHARS and long.endswith("…")


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=6000)
       | st.lists(st.sampled_from(["<", ">", "b", "/", "<p>", "</a>", "<!--", "-->", "x", " ", "\n"]),
                  max_size=400).map("".join))
def test_clean_description_never_leaves_a_tag_nor_exceeds_the_limit(text: str) -> None:
    cleaned = clean_description(text)
    assert len(cleaned) <= MAX_DESCRIPTION_CHARS
    assert clean_description(cleaned) == cleaned or len(text) > MAX_DESCRIPTION_CHARS
    assert not re.search(r"</?[A-Za-z!?][^<>]*>", cleaned)
