"""Language decision benchmark: how often the conversation's language is right after a short
message, and how long deciding takes.

Run: python bench/language.py. The set is ``tests/data/nlu_language.jsonl``: short French and
English messages (names, streets, references, SMS, typos, mixed), each labelled with its
language (none for a name, a number, an emoji...) and whether it is clear and substantial
enough to switch a conversation held in the other language. Scores:

- sticky: for a conversation in French and one in English, the language after the message
  (the message's own if it should switch, else the conversation's);
- first message: the message's language, or no opinion for a message without one;
- raw detection: the detector's language on the messages that have one.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bot.app import load_intents
from bot.features import FEATURES
from bot.intent import examples_by_language
from bot.language import LanguageDetector

LANGUAGE_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "nlu_language.jsonl"
Decide = Callable[[str, str | None], str | None]


def records() -> list[dict]:
    return [json.loads(line) for line in LANGUAGE_SET.read_text(encoding="utf-8").splitlines()]


def expected_after(record: dict, current: str) -> str:
    return record["lang"] if record["lang"] and record["switch"] else current


def sticky_mistakes(decide: Decide, items: list[dict]) -> list[tuple[str, str, str | None]]:
    """(current, text, decided) for every wrong decision, in a French then an English chat."""
    return [(current, record["text"], decided) for record in items for current in ("fr", "en")
            if (decided := decide(record["text"], current)) != expected_after(record, current)]


def first_message_scores(decide: Decide, items: list[dict]) -> tuple[int, int, int]:
    """(right, no opinion where there was a language, wrong) over first messages."""
    right = silent = wrong = 0
    for record in items:
        decided = decide(record["text"], None)
        if decided == record["lang"]:
            right += 1
        elif decided is None:
            silent += 1
        else:
            wrong += 1
    return right, silent, wrong


def detector(low_accuracy: bool = False) -> LanguageDetector:
    """The detector as the bot builds it: with the intents' examples as each language's words."""
    return LanguageDetector(low_accuracy, examples_by_language(load_intents(FEATURES)))


def report(name: str, detector: LanguageDetector, items: list[dict], verbose: bool) -> None:
    mistakes = sticky_mistakes(detector.decide, items)
    right, silent, wrong = first_message_scores(detector.decide, items)
    labelled = [record for record in items if record["lang"]]
    detected = sum(detector.guess(record["text"]).language == record["lang"] for record in labelled)
    latencies = []
    for record in items * 5:
        started = time.perf_counter_ns()
        detector.decide(record["text"], "fr")
        latencies.append((time.perf_counter_ns() - started) / 1e6)
    latencies.sort()
    decisions = 2 * len(items)
    print(f"{name}: sticky {1 - len(mistakes) / decisions:.3f} ({decisions - len(mistakes)}/{decisions}), "
          f"first message right {right}, no opinion {silent}, wrong {wrong} (of {len(items)}), "
          f"raw detection {detected / len(labelled):.3f} ({detected}/{len(labelled)}); "
          f"decide p50 {statistics.median(latencies):.3f} ms, p99 {latencies[int(0.99 * (len(latencies) - 1))]:.3f} ms")
    if verbose:
        for current, text, decided in mistakes:
            print(f"    in a {current} chat: {text!r} -> {decided}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list the wrong decisions")
    args = parser.parse_args()
    items = records()
    print(f"messages: {len(items)} ({sum(bool(r['lang']) for r in items)} with a language, "
          f"{sum(bool(r['switch']) for r in items)} clear enough to switch)")
    for name, low_accuracy in (("lingua high accuracy", False), ("lingua low accuracy", True)):
        report(name, detector(low_accuracy), items, args.verbose)


if __name__ == "__main__":
    main()
