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


def commune_name(rng: random.Random) -> str:
    """A commune's name; some are shared, as "Saint-Denis" is in real life."""
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3)))).capitalize()
    return rng.choice(("", "", "", "Saint-", "Le ", "La ")) + name


def function(seat: int, size: int) -> str:
    """The RNE label of a council's seat: the mayor, then deputies by rank, two delegates, then
    plain councillors (an empty label)."""
    deputies = max(1, size * 3 // 10)
    if seat == 0:
        return "Maire"
    if seat <= deputies:
        return f"{seat}{'er' if seat == 1 else 'ème'} adjoint au Maire"
    return "Conseiller municipal délégué" if seat <= deputies + 2 else ""


def rows(count: int, seed: int = 7) -> Iterator[list[str]]:
    """Councils of 7 to 33 seats (about 16: 30,000 communes for 500,000 rows), commune after
    commune, until ``count`` rows."""
    rng = random.Random(seed)
    number = communes = 0
    while number < count:
        department, commune = divmod(communes, 999)
        communes += 1
        code = f"{department % 95 + 1:02d}{commune + 1:03d}"
        name, size = commune_name(rng), rng.choice((7, 11, 11, 15, 15, 19, 23, 33))
        for seat in range(min(size, count - number)):
            label = function(seat, size)
            yield [code[:2], "Département", "", "", code, name, surname(rng),
                   rng.choice(FIRST_NAMES), rng.choice("MF"),
                   f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2000)}",
                   "33", "Cadre", "28/06/2020", label, "03/07/2020" if label else "", "FRA"]
            number += 1


def write_file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        writer.writerows(rows(count))
