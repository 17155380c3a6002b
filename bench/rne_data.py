"""Generated RNE rows for the benchmarks: the 16 columns of elus-conseillers-municipaux-cm.csv,
with names drawn from syllables (tens of thousands of distinct surnames, as in the real file)."""
from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

from knowledge.importers.rne import COLUMNS

SYLLABLES = ("ber", "nar", "do", "lu", "mon", "tan", "gre", "vil", "ro", "chet", "lin", "ar",
             "bou", "mar", "ti", "ne", "gau", "fer", "pel", "cas", "dur", "mi", "le", "sa",
             "quin", "jo", "va", "ren", "po", "che")
FIRST_NAMES = ("Marie", "Jean", "Pierre", "Michel", "Anne", "Isabelle", "Philippe", "Nathalie",
               "Catherine", "Alain", "Sylvie", "Patrick", "Christine", "Nicolas", "Sophie",
               "Christophe", "Valérie", "Stéphane", "Sandrine", "Laurent", "Céline", "Julien",
               "Camille", "Léa", "Hugo", "Chloé", "Thomas", "Manon", "Lucas", "Emma", "Johanna",
               "Bassem", "Mounir", "Francky", "Mahel", "Yann", "Gwenaëlle", "Loïc", "Maël")


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).upper()


def rows(count: int, seed: int = 7) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for number in range(count):
        commune = f"{rng.randint(1, 95):02d}{rng.randint(1, 400):03d}"
        yield [commune[:2], "Département", "", "", commune, f"Commune {commune}", surname(rng),
               rng.choice(FIRST_NAMES), rng.choice("MF"),
               f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2000)}",
               "33", "Cadre", "28/06/2020", "Maire" if number % 15 == 0 else "",
               "03/07/2020" if number % 15 == 0 else "", "FRA"]


def write_file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        writer.writerows(rows(count))
