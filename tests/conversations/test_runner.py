"""The runner's own checks: each can fail, says why, and shows the conversation."""
from __future__ import annotations

import pytest
import yaml

from tests.conversations.runner import World, find, fold
from tests.conversations.scenarios import ScenarioError, load_all, parse_scenario


def scenario(text: str):
    return parse_scenario("runner", yaml.safe_load(text))


@pytest.mark.parametrize("expected, text", [
    ("élu·e", "Je ne connais pas d'ELU·E"),
    ("l'hotel de ville", "À l’Hôtel de Ville"),
    ("290 000", "290\u202f000 habitants"),
    ("oui|yes", "Yes please"),
    ("re:\\b1[,.]9 km", "à 1,9 km"),
])
def test_find_folds_case_accents_quotes_and_spaces(expected: str, text: str) -> None:
    assert find(text, expected)


@pytest.mark.parametrize("expected, text", [
    ("1,9 km", "à 11,9 km"),  # a phrase starts where a word starts
    ("abonn", "désabonner"),
    ("oui|yes", "bonjour"),
])
def test_find_does_not_match_inside_words(expected: str, text: str) -> None:
    assert find(text, expected) is None


def test_fold_keeps_words_apart() -> None:
    assert fold("  Élus\u00a0de\nNantes  ") == "elus de nantes"


@pytest.mark.parametrize("text, problem", [
    ("name: x\nturns: [{say: a, sayz: b}]", "unknown key"),
    ("name: x\nturns: [{say: a, press: b}]", "does one thing"),
    ("name: x\nturns: [{position: [1]}]", "[latitude, longitude]"),
    ("name: x\nturns: [{say: a, state: {subscription: 1}}]", "unknown key"),
    ("name: x\nturns: [{say: a, state: {contributions: [{kind: report, colour: red}]}}]", "unknown key"),
    ("name: x\nturns: [{say: a, allows: [everything]}]", "allows"),
    ("name: x\nlang: de\nturns: [{say: a}]", "lang"),
    ("name: x\nat: tomorrow\nturns: [{say: a}]", "'at'"),
    ("name: x", "name and turns"),
])
def test_a_malformed_scenario_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem.replace("[", r"\[")):
        scenario(text)


def test_the_suite_has_200_scenarios_and_ten_per_class() -> None:
    scenarios = load_all()
    assert len(scenarios) >= 200
    kinds = {kind: sum(1 for s in scenarios if s.kind == kind) for kind in {s.kind for s in scenarios}}
    assert set(kinds) >= {"language", "consent", "flows", "followups", "dates", "numbers", "echoes", "happy"}
    assert min(kinds.values()) >= 10, kinds


@pytest.mark.parametrize("text, problem", [
    ("turns: [{say: qui est le maire, says: Jean Dupont}]", "does not say « Jean Dupont »"),
    ("turns: [{say: qui est le maire, never: Rolland}]", "never « Rolland »"),
    ("turns: [{say: qui est le maire, lang: en}]", "expected 'en'"),
    ("turns: [{say: bonjour, offers: [Voter en ligne]}]", "no choice « Voter en ligne »"),
    ("turns: [{say: bonjour}, {press: Voter en ligne}]", "no choice « Voter en ligne » to press"),
    ("turns: [{say: bonjour}, {choose: 12}]", "cannot choose 12"),
    ("turns: [{say: qui est le maire, asks_position: true}]", "does not ask for the resident's position"),
    ("turns: [{say: /mesdonnees, document: false}]", "has a document"),
    ("turns: [{say: /abonner travaux, state: {subscriptions: [{topic: culture}]}}]", "no subscriptions like"),
    ("turns: [{say: /abonner travaux, state: {subscriptions: [{topic: travaux, area: doulon}]}}]",
     "no subscriptions like"),
    ("turns: [{say: /abonner travaux, state: {subscriptions: 2}}]", "1 subscriptions, expected 2"),
    ("turns: [{say: /humain, state: {tickets: 0}}]", "1 open hand-over ticket(s), expected 0"),
    ("turns: [{say: /abonner travaux}]", "an action nobody asked for?): subscriptions"),
    ("turns: [{say: /humain}]", "an action nobody asked for?): tickets"),
    ("turns: [{say: /mesdonnees}]", "an action nobody asked for?): exported"),
    ("turns: [{say: /oublier}, {say: oui}]", "erased without this turn expecting it"),
    ("turns: [{say: /oublier}, {say: oui, state: {erased: false}}]", "was erased"),
    ("turns: [{say: /abonner travaux, allows: subscriptions}, {say: /pause, state: {settings: {paused: false}}}]",
     "subscriptions are paused"),
])
@pytest.mark.asyncio(loop_scope="module")
async def test_a_wrong_expectation_fails_with_the_conversation(world: World, backend: str, text: str,
                                                               problem: str) -> None:
    failure = await world.play(scenario(f"name: wrong\n{text}"), backend, f"runner-{hash(text)}")
    assert failure is not None and problem in failure, failure
    assert "resident: " in failure and "bot [fr]: " in failure  # the conversation so far


@pytest.mark.asyncio(loop_scope="module")
async def test_a_right_expectation_passes(world: World, backend: str) -> None:
    right = scenario("""
name: right
setup: {position: [47.2170, -1.5520]}
turns:
  - say: c'est qui le maire ?
    says: ["Johanna Rolland", "maire"]
    never: ["Jean Dupont"]
    lang: fr
  - say: /abonner travaux
    state: {subscriptions: [{topic: travaux}], settings: {paused: false, frequency: immediate}}
  - say: /mesdonnees
    document: true
    state: {exported: true, tickets: 0, contributions: 0, votes: 0, erased: false, home_area: null}
""")
    assert await world.play(right, backend, "runner-right") is None
