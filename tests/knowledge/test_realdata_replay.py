"""Residents' questions replayed on every real open-data file at once, as an operator loads them.

Every file of ``../shared/realdata`` is imported into one knowledge base (the RNE of two
départements, Nantes and Montpellier areas, Montpellier deliberations, budget and OpenStreetMap
points, Nantes Métropole's public services and its catalogue served as an Opendatasoft portal,
and a CKAN answer), then residents ask in their words, French and English, with typos. Each
expected answer is read from the files here: the nearest service by haversine over the file's
points, the hours as the file writes them, the figure of the budget line, the deliberations'
titles, the officials holding the function now. An answer is right, or honestly absent when the
files do not hold it; a wrong official, figure or hour fails the test.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from bot.app import CivicBot
from bot.config import Settings
from bot.formatting import money
from bot.testing import ChatTester
from bot.text import normalize
from knowledge.importers import Origin, Writer
from knowledge.importers.geojson import import_areas
from knowledge.importers.plain import import_plain
from knowledge.importers.remote import import_ckan, import_ods_catalog, import_ods_records, portal_origin
from knowledge.importers.rne import ORIGIN as RNE_ORIGIN
from knowledge.importers.rne import import_rne
from knowledge.importers.scdl import import_deliberations
from tests.knowledge.test_officials_realdata import (
    FIRST,
    LAST,
    NANTES,
    REZE,
    _commune_code,
    _rows,
    _with,
    deputies,
    deputy,
    every_mayor,
    mayor,
    names_in,
    no_official,
    says_all,
    unknown,
)
from tests.support.data import SHARED

REAL = SHARED / "realdata"
pytestmark = pytest.mark.skipif(not (REAL / "derived" / "ods_records.json").exists(),
                                reason=f"real data absent: {REAL}")
Check = Callable[[str], bool]
COMEDIE = (43.6085, 3.8795)  # Montpellier, place de la Comédie
BOTTIERE = (47.2400, -1.5190)  # Nantes, Bottière
CHANTENAY = (47.2030, -1.5960)  # Nantes, Chantenay
ANTIGONE = (43.6080, 3.8890)  # Montpellier, Antigone
SATURDAY = dt.datetime(2026, 6, 13, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))  # the residents' "now"
SUNDAY, MONDAY = (SATURDAY.replace(day=day, minute=0) for day in (14, 15))
EQUIPMENTS = "244400404_equipements-publics-service-public-2014"
ECUSSON = (43.6110, 3.8760)  # Montpellier, the old town
MOSSON = (43.6165, 3.8190)  # Montpellier, La Paillade
ILE = (47.2070, -1.5560)  # Nantes, Île de Nantes
NANTES_NORD = (47.2560, -1.5620)  # Nantes, Nantes Nord


def _csv(name: str, encoding: str = "utf-8") -> list[dict[str, str]]:
    with (REAL / name).open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _ods() -> dict[str, list[dict]]:
    return json.loads((REAL / "derived" / "ods_records.json").read_text(encoding="utf-8"))


def _points() -> list[tuple[str, str, float, float, str]]:
    """Every service point of the files: (category, name, latitude, longitude, hours)."""
    rows = {row["id"]: row for name in ("derived/montpellier-osm-pharmacies-services.csv",
                                        "derived/montpellier-osm-all-services.csv")
            for row in _csv(name)}
    points = [(row["category"], row["name"], float(row["latitude"]), float(row["longitude"]),
               row["hours"]) for row in rows.values()]
    points += [(row["libtype"] or "", row["nom_complet"], row["geo_point_2d"]["lat"],
                row["geo_point_2d"]["lon"], "") for row in _ods()[EQUIPMENTS]]
    return points


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, point) for point in (a, b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _listed(text: str) -> list[str]:
    return [line[2:].strip() for line in text.splitlines() if line.startswith("• ")]


def nearest(categories: set[str], where: tuple[float, float]) -> Check:
    """The first service listed is the nearest point of these categories in the files."""
    points = [point for point in _points() if point[0] in categories]
    assert points, f"no point of {categories} in the files"
    best = min(_metres(where, (point[2], point[3])) for point in points)
    closest = {point[1] for point in points if _metres(where, (point[2], point[3])) - best < 1}
    return lambda text: bool(_listed(text)) and _listed(text)[0] in closest


def hours(name: str, *times: str) -> Check:
    """The service is listed first, with these opening times of its hours in the file."""
    value = next(point[4] for point in _points() if point[1] == name)
    assert all(time in value for time in times), f"{name}: {value!r} lacks {times}"
    return lambda text: (bool(_listed(text)) and _listed(text)[0] == name
                         and all(time.replace("-", "–") in text for time in times))


def _open_at(value: str, moment: dt.datetime) -> bool:
    """Whether hours written ``Mo-Sa 08:30-21:45; Su 09:00-12:45`` or ``7h-20h`` (every day)
    include the moment: read here from the file's text, not by the bot's parser."""
    days = ["mo", "tu", "we", "th", "fr", "sa", "su"]
    for rule in value.split(";"):
        found = re.match(r"\s*(?:([A-Za-z]{2})(?:-([A-Za-z]{2}))?\s+)?(.*)", rule)
        assert found, value
        first, last, times = found.groups()
        names = {"lu": "mo", "ma": "tu", "me": "we", "je": "th", "ve": "fr", "di": "su"}
        first, last = (names.get((day or "").lower(), (day or "").lower()) for day in (first, last))
        span = days[days.index(first):days.index(last or first) + 1] if first else days
        if days[moment.weekday()] not in span:
            continue
        for opens, closes in re.findall(r"(\d{1,2}[:h]\d{0,2})-(\d{1,2}[:h]\d{0,2})", times):
            as_time = [dt.time(int(text.replace("h", ":").split(":")[0]),
                               int(text.replace("h", ":").split(":")[1] or 0)) for text in (opens, closes)]
            if as_time[0] <= moment.time() < as_time[1]:
                return True
    return False


def open_first(names: set[str]) -> Check:
    """These services (of one kind) are the ones the file says open at SATURDAY, listed first."""
    for name in names:
        assert _open_at(next(point[4] for point in _points() if point[1] == name), SATURDAY), name
    return lambda text: set(_listed(text)[:len(names)]) == names


def listed_first(name: str) -> Check:
    assert any(point[1] == name for point in _points()), name
    return lambda text: bool(_listed(text)) and _listed(text)[0] == name


def _budget() -> dict[str, float]:
    rows = _csv("derived/montpellier-bp2014-depenses-par-fonction.csv", "latin-1")
    return {row["label"].rsplit(" - ", 1)[1]: float(re.sub(r"[\s\u00a0]", "", row["value"])
                                                    .replace(",", ".")) for row in rows}


def figure(line: str, lang: str = "fr") -> Check:
    """The budget line's amount, and no other line's."""
    budget = _budget()
    others = {money(value, lang) for label, value in budget.items() if label != line}
    expected = money(budget[line], lang)
    return lambda text: expected in text and not any(
        re.search(rf"(?<![\d\s,.]){re.escape(other)}", text) for other in others - {expected})


def _deliberations() -> list[dict[str, str]]:
    return _csv("derived/montpellier-delibs-scdl-mapped.csv")


def deliberation(word: str, date: str | None = None) -> Check:
    """A deliberation whose title holds the word (on that date) is quoted (its title's first
    line, before the spreadsheet's line break)."""
    titles = [row["DELIB_OBJET"].split("_x0001_")[0].strip() for row in _deliberations()
              if normalize(word) in normalize(row["DELIB_OBJET"])
              and (date is None or row["DELIB_DATE"] == date)]
    assert titles, f"no deliberation about {word!r}"
    return lambda text: any(title[:40] in text for title in titles)


def meeting(date: str, words: str = "") -> Check:
    """The council of that date in the file (with its deliberations' dates)."""
    assert any(row["DELIB_DATE"] == date for row in _deliberations())
    return lambda text: date in text and words in text


def dataset(words: str) -> Check:
    titles = [package["title"] for package in json.loads(
        (REAL / "original" / "birmingham-ckan-package_search.json").read_text(encoding="utf-8"))
        ["result"]["results"]] + [entry["metas"]["default"]["title"] for entry in json.loads(
            (REAL / "derived" / "ods_catalog.json").read_text(encoding="utf-8"))]
    wanted = [title for title in titles if normalize(words) in normalize(title)]
    assert wanted, words
    return lambda text: any(title in text for title in wanted)


def says(*fragments: str) -> Check:
    return lambda text: all(fragment in text for fragment in fragments)


def absent() -> Check:
    """Said unknown: no source quoted, so no fact given."""
    return lambda text: "Source" not in text


def at(where: tuple[float, float], text: str) -> list[str]:
    return [f"/position {where[0]} {where[1]}", text]


def no_such(categories: set[str]) -> Check:
    """No point of these kinds in the files: said unknown, no other kind given for it."""
    assert not any(point[0] in categories for point in _points()), categories
    return absent()


def phone(name: str) -> Check:
    """The service listed first, with its telephone number as the file writes it."""
    number = next(row["telephone"] for row in _ods()[EQUIPMENTS] if row["nom_complet"] == name)
    return lambda text: bool(_listed(text)) and _listed(text)[0] == name and number in text


def closed_first(name: str, moment: dt.datetime) -> Check:
    """The service listed first, said closed that day (its hours in the file leave it out)."""
    value = next(point[4] for point in _points() if point[1] == name)
    assert not any(_open_at(value, moment.replace(hour=hour)) for hour in range(24)), value
    return lambda text: _listed(text)[:1] == [name] and re.search("ferm|closed", _first_block(text), re.I) is not None


def _first_block(text: str) -> str:
    return text.split("• ")[1] if "• " in text else ""


def at_moment(name: str, moment: dt.datetime) -> Check:
    """The service listed first, said open or closed at that moment as its hours in the file say."""
    is_open = _open_at(next(point[4] for point in _points() if point[1] == name), moment)
    said = re.compile(r"^\s+(Ouvert|Open)\b" if is_open else r"^\s+(Fermé|Closed)\b", re.M)
    return lambda text: _listed(text)[:1] == [name] and said.search(_first_block(text)) is not None


def none_open(categories: set[str], moment: dt.datetime) -> Check:
    """No service of these kinds is open at that moment in the files: none is said open."""
    assert not any(_open_at(point[4], moment) for point in _points() if point[0] in categories)
    return lambda text: bool(_listed(text)) and re.search(r"^\s+(Ouvert|Open)\b", text, re.M) is None


def figures(*lines: str) -> Check:
    """Each of these budget lines' amounts, and no other line's."""
    budget = _budget()
    others = {money(value, "fr") for label, value in budget.items() if label not in lines}
    expected = {money(budget[line], "fr") for line in lines}
    return lambda text: all(amount in text for amount in expected) and not any(
        re.search(rf"(?<![\d\s,.]){re.escape(other)}", text) for other in others - expected)


def no_budget_line(word: str) -> Check:
    assert not any(normalize(word) in normalize(label) for label in _budget()), word
    return absent()


def no_deliberation(word: str) -> Check:
    assert not any(normalize(word) in normalize(row["DELIB_OBJET"]) for row in _deliberations()), word
    return absent()


def suggests(commune: str) -> Check:
    """A commune of the file offered for a name not known as written, and no mayor given."""
    assert _commune_code(commune)
    return lambda text: commune in text and not names_in(text, every_mayor())


def person(first: str, last: str) -> Check:
    """Every commune where the file gives this person a function now."""
    communes = {row["Libellé de la commune"] for row in _rows() if (row[FIRST], row[LAST]) == (first, last)}
    assert communes, (first, last)
    return lambda text: all(commune in text for commune in communes)


def no_contact(names: set[str]) -> Check:
    """The officials named, and said to come without contact details: the RNE gives none."""
    assert not any(re.search("mail|t[ée]l[ée]phone|adresse", column, re.I) for column in _rows()[0]), _rows()[0]
    named = says_all(names)
    return lambda text: named(text) and re.search("coordonn|contact details", text) is not None


def _inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def quartier(where: tuple[float, float]) -> Check:
    """The quartier of the files (Nantes's, Montpellier's) whose outline holds the point."""
    names = []
    for path, key in ((SHARED / "data" / "nantes-quartiers.geojson", "nom"),
                      (REAL / "original" / "montpellier-VilleMTP_MTP_Quartiers.geojson", "LIBQUART")):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            if feature["properties"].get("libcom", "Nantes") != "Nantes":  # imported: Nantes's only
                continue
            geometry = feature["geometry"] or {}
            polygons = geometry.get("coordinates", []) if geometry.get("type") == "MultiPolygon" else [
                geometry.get("coordinates", [])]
            if any(polygon and _inside(where[1], where[0], polygon[0])
                   and not any(_inside(where[1], where[0], hole) for hole in polygon[1:])
                   for polygon in polygons):
                names.append(feature["properties"][key])
    assert len(set(names)) == 1, names
    return lambda text: normalize(names[0]) in normalize(text)


# (what the resident writes, one message or several, and what the files say the answer is)
QUESTIONS: list[tuple[str | list[str], Callable[[], Check]]] = [
    # officials: function, rank, commune, name; both départements; the current function only
    ("qui est le maire de Rezé ?", lambda: says_all(mayor(REZE), mayor(NANTES))),
    ("maire de reze", lambda: says_all(mayor(REZE))),
    ("c'est qui le maire", lambda: says_all(mayor(NANTES))),
    ("who is the mayor of Saint-Nazaire?", lambda: says_all(mayor(_commune_code("Saint-Nazaire")))),
    ("le maire d'Auch", lambda: says_all(mayor(_commune_code("Auch")))),
    ("premier adjoint au maire", lambda: says_all(deputy(NANTES, 1))),
    ("qui est le 2e adjoint de Rezé", lambda: says_all(deputy(REZE, 2), deputy(NANTES, 2))),
    ("who are the deputy mayors of Rezé?", lambda: says_all(deputies(REZE), mayor(REZE))),
    ("le maire de Montpellier", lambda: unknown("Montpellier")),
    ("qui est le maire de Paris ?", lambda: unknown("Paris")),
    ("4ème adjoint de Saffré", lambda: says_all(deputy(_commune_code("Saffré"), 4))),
    ("maire délégué de Vic-Fezensac",
     lambda: says_all(_with(_commune_code("Vic-Fezensac"), lambda label: label == "Maire délégué"),
                      mayor(_commune_code("Vic-Fezensac")))),
    ("qui est le maire de Vic-Fezensac ?", lambda: says_all(mayor(_commune_code("Vic-Fezensac")))),
    ("first deputy mayor of Saint-Herblain", lambda: says_all(deputy(_commune_code("Saint-Herblain"), 1))),
    ("maire de st sebastien sur loire", lambda: says_all(mayor(_commune_code("Saint-Sébastien-Sur-Loire")))),
    ("le 10e adjoint d'Auch", lambda: says_all(deputy(_commune_code("Auch"), 10))),
    ("4e adjoint de la plaine sur mer", lambda: says_all(deputy(_commune_code("La Plaine-Sur-Mer"), 4))),
    ("qui est Farida Rebouh", lambda: says("Saint-Herblain", "2ème adjoint")),
    ("Marie-Alexy Lefeuvre", lambda: says_all(mayor(_commune_code("Saffré")))),
    ("adjoint aux sports de Nantes", lambda: no_official()),
    ("le 30e adjoint de Nantes", lambda: no_official()),
    ("mairesse de rezé", lambda: says_all(mayor(REZE))),
    ("qui est la maire de Nantes ?", lambda: says_all(mayor(NANTES))),
    ("mayor of Nantes", lambda: says_all(mayor(NANTES))),
    ("le 1er adjoint de Nantes", lambda: says_all(deputy(NANTES, 1), mayor(NANTES))),
    ("la 4ème adjointe", lambda: says_all(deputy(NANTES, 4))),
    ("les adjoints de Rezé", lambda: says_all(deputies(REZE), deputies(NANTES))),
    ("qui sont les adjoints ?", lambda: says_all(deputies(NANTES), deputies(REZE))),
    ("adjoint à la culture", lambda: no_official()),
    ("qui est l'adjointe à la culture de Nantes", lambda: no_official()),
    ("qui est Johanna Rolland ?", lambda: says_all(mayor(NANTES))),
    ("c qui pascal bolo", lambda: says_all(deputy(NANTES, 7))),
    ("maire de Grandchamps-des-Fontaines", lambda: says_all(mayor(_commune_code("Grandchamps-Des-Fontaines")))),
    ("6ème adjoint de Grandchamps-des-Fontaines",
     lambda: says_all(deputy(_commune_code("Grandchamps-Des-Fontaines"), 6))),
    ("qui est le maire de Saffré", lambda: says_all(mayor(_commune_code("Saffré")))),
    ("maire de Pouy-Roquelaure", lambda: says_all(mayor(_commune_code("Pouy-Roquelaure")))),
    ("maire de la chapelle sur erdre", lambda: says_all(mayor(_commune_code("La Chapelle-Sur-Erdre")))),
    ("le maire de St-Herblain", lambda: says_all(mayor(_commune_code("Saint-Herblain")))),
    ("le 3eme adjoint a Couëron", lambda: says_all(deputy(_commune_code("Couëron"), 3))),
    ("qui est la maire de Couëron", lambda: says_all(mayor(_commune_code("Couëron")))),
    ("le maire de Vertou", lambda: says_all(mayor(_commune_code("Vertou")))),
    ("26e adjoint Nantes", lambda: says_all(deputy(NANTES, 26))),
    ("who is Ali Rebouh?", lambda: says_all(deputy(NANTES, 3))),
    ("l'élu Rebouh", lambda: says("Ali Rebouh", "Farida Rebouh")),
    ("le maire de saint nazaire", lambda: says_all(mayor(_commune_code("Saint-Nazaire")))),
    ("qui est Helene Naulin", lambda: says_all(deputy(NANTES, 2))),
    ("le 7eme adjoint de Vieillevigne", lambda: says_all(deputy(_commune_code("Vieillevigne"), 7))),
    ("qui est le maire du Bignon ?", lambda: absent()),
    # services: the nearest of every point of the kind, hours as the file writes them
    (at(COMEDIE, "la pharmacie la plus proche"), lambda: nearest({"pharmacy", "pharmacie"}, COMEDIE)),
    (at(COMEDIE, "the nearest pharmacy"), lambda: nearest({"pharmacy", "pharmacie"}, COMEDIE)),
    (at(COMEDIE, "boulangerie la plus proche"), lambda: nearest({"bakery"}, COMEDIE)),
    (at(COMEDIE, "nearest bakery"), lambda: nearest({"bakery"}, COMEDIE)),
    (at(COMEDIE, "un coiffeur près d'ici"), lambda: nearest({"hairdresser"}, COMEDIE)),
    (at(COMEDIE, "where can I get a haircut nearby"), lambda: nearest({"hairdresser"}, COMEDIE)),
    (at(COMEDIE, "supermarché le plus proche"), lambda: nearest({"supermarket"}, COMEDIE)),
    (at(COMEDIE, "magasin de vélo le plus proche"), lambda: nearest({"bicycle"}, COMEDIE)),
    (at(COMEDIE, "opticien le plus proche"), lambda: nearest({"optician"}, COMEDIE)),
    (at(COMEDIE, "un fleuriste près de moi"), lambda: nearest({"florist"}, COMEDIE)),
    (at(COMEDIE, "laverie la plus proche"), lambda: nearest({"laundry"}, COMEDIE)),
    (at(COMEDIE, "pressing le plus proche"), lambda: nearest({"dry_cleaning"}, COMEDIE)),
    (at(COMEDIE, "boucherie la plus proche"), lambda: nearest({"butcher"}, COMEDIE)),
    (at(COMEDIE, "station essence la plus proche"), lambda: nearest({"fuel"}, COMEDIE)),
    (at(COMEDIE, "bureau de tabac le plus proche"), lambda: nearest({"tobacco"}, COMEDIE)),
    (at(COMEDIE, "librairie la plus proche"), lambda: nearest({"books"}, COMEDIE)),
    (at(COMEDIE, "magasin de chaussures le plus proche"), lambda: nearest({"shoes"}, COMEDIE)),
    (at(COMEDIE, "garage auto le plus proche"), lambda: nearest({"car_repair"}, COMEDIE)),
    (at(COMEDIE, "un resto pas loin"), lambda: nearest({"restaurant"}, COMEDIE)),
    (at(COMEDIE, "un café près d'ici"), lambda: nearest({"cafe"}, COMEDIE)),
    (at(COMEDIE, "un marchand de jouets"), lambda: nearest({"toys"}, COMEDIE)),
    (at(COMEDIE, "fast food le plus proche"), lambda: nearest({"fast_food"}, COMEDIE)),
    (at(BOTTIERE, "la mairie annexe la plus proche"), lambda: nearest({"Mairie annexe"}, BOTTIERE)),
    (at(CHANTENAY, "le pôle de proximité le plus proche"),
     lambda: nearest({"Pôle de proximité"}, CHANTENAY)),
    (at(BOTTIERE, "équipe de quartier la plus proche"), lambda: nearest({"Mission de quartier"}, BOTTIERE)),
    (at(CHANTENAY, "mairie annexe la plus proche"), lambda: nearest({"Mairie annexe"}, CHANTENAY)),
    (at(COMEDIE, "une bijouterie près de moi"), lambda: nearest({"jewelry"}, COMEDIE)),
    (at(COMEDIE, "primeur le plus proche"), lambda: nearest({"greengrocer"}, COMEDIE)),
    (at(COMEDIE, "où acheter de l'alcool près d'ici"), lambda: nearest({"alcohol"}, COMEDIE)),
    (at(COMEDIE, "nearest supermarket open on sunday"), lambda: hours("Monoprix", "09:00-12:45")),
    (at(COMEDIE, "une papeterie pas loin"), lambda: nearest({"stationery"}, COMEDIE)),
    (at(COMEDIE, "un magasin de meubles"), lambda: nearest({"furniture"}, COMEDIE)),
    (at(COMEDIE, "boutique de vêtements la plus proche"), lambda: nearest({"clothes"}, COMEDIE)),
    (at(COMEDIE, "épicerie ouverte près d'ici"), lambda: nearest({"convenience"}, COMEDIE)),
    (at(COMEDIE, "un bar pas loin"), lambda: nearest({"bar"}, COMEDIE)),
    (at(COMEDIE, "nearest florist"), lambda: nearest({"florist"}, COMEDIE)),
    (at(COMEDIE, "where is the nearest bike shop"), lambda: nearest({"bicycle"}, COMEDIE)),
    ("horaires R Stars", lambda: hours("R Stars", "09:30-19:00")),
    ("Pharmacie de l'Aiguelongue horaires", lambda: hours("Pharmacie de l'Aiguelongue", "08:30-12:30")),
    ("supermarché ouvert dimanche", lambda: says("Monoprix", "09:00–12:45")),
    ("adresse de la mairie annexe Nantes Nord", lambda: listed_first("Mairie annexe Nantes Nord")),
    ("la préfecture adresse", lambda: listed_first("Préfecture")),
    ("horaires du Bookshop", lambda: hours("Le Bookshop", "13:00-18:00", "10:00-18:00")),
    ("Monoprix ouvert dimanche ?", lambda: hours("Monoprix", "09:00-12:45")),
    ("monoprix est ouvert demain à 10h ?", lambda: listed_first("Monoprix")),
    ("R Stars ouvert samedi", lambda: hours("R Stars", "09:30-19:00")),
    ("Stringbox ouvert mardi à 14h ?", lambda: says("Stringbox", "15:00")),
    ("pharmacie ouverte samedi", lambda: hours("Pharmacie de l'Aiguelongue", "09:00-12:30")),
    ("le Fournil de la Fac est ouvert vendredi ?", lambda: hours("Le Fournil de la Fac", "07:00-19:30")),
    ("adresse de l'hôtel de ville de Rezé", lambda: listed_first("Hôtel de ville de Rezé")),
    ("pôle emploi chantenay", lambda: listed_first("Pôle Emploi Chantenay")),
    ("téléphone de la mairie annexe de Chantenay", lambda: listed_first("Mairie annexe Chantenay")),
    # deliberations and meetings: by topic, year, date, the last one
    ("le dernier conseil municipal", lambda: meeting("16/12/2013")),
    ("last council meeting", lambda: says("16 Dec 2013")),
    ("le conseil du 25/11/2013", lambda: meeting("25/11/2013")),
    ("conseil du 25/11/13", lambda: meeting("25/11/2013")),
    ("les délibérations du 16 décembre 2013", lambda: meeting("16/12/2013")),
    ("cinéma en 2013", lambda: deliberation("cinéma")),
    ("deliberations about cinema", lambda: deliberation("cinéma")),
    ("délibérations sur le théâtre", lambda: deliberation("théâtre")),
    ("délibération Taubira", lambda: deliberation("Taubira")),
    ("délibération archives municipales", lambda: deliberation("archives municipales")),
    ("délibérations crèches", lambda: deliberation("crèche")),
    ("qu'a décidé le conseil sur le Corum", lambda: deliberation("Corum")),
    ("les délibérations de 2012", lambda: says("2012", "2013")),
    ("délibération tarifs 2014", lambda: deliberation("Tarifs 2014")),
    ("les délibérations de novembre 2013", lambda: meeting("25/11/2013")),
    ("les délibérations de décembre 2013", lambda: meeting("16/12/2013")),
    ("le prochain conseil municipal", lambda: says("16/12/2013")),
    ("délib ZAC Port Marianne", lambda: deliberation("Port Marianne")),
    ("what did the council decide about the Parking Europa?", lambda: deliberation("Parking Europa")),
    ("le conseil municipal du 16/12/2013", lambda: meeting("16/12/2013")),
    ("délibérations Théâtre Jean Vilar 2013", lambda: deliberation("Jean Vilar")),
    ("délibération Taubira", lambda: lambda text: text.count("TAUBIRA") == 1),  # two sources, once
    # budget: the figure of the line, the years there are
    ("combien la ville dépense pour les musées ?", lambda: figure("Musees")),
    ("budget des musées", lambda: figure("Musees")),
    ("combien pour la police municipale", lambda: figure("Police municipale")),
    ("how much for the municipal police?", lambda: figure("Police municipale", "en")),
    ("budget de l'éclairage public", lambda: figure("Eclairage public")),
    ("combien pour les écoles primaires ?", lambda: figure("Ecoles primaires")),
    ("budget archives", lambda: figure("Archives")),
    ("combien pour le cinema", lambda: figure("Cinemas et autres salles de spectacles")),
    ("budget des musées en 2015", lambda: says("2015", "2014")),
    ("budget de la cantine", lambda: figure("Hebergement et restauration scolaire")),
    ("budget crèches", lambda: figure("Creches et garderies")),
    ("combien la ville dépense pour les espaces verts", lambda: figure("Espaces verts urbains")),
    ("budget propreté urbaine", lambda: figure("Proprete urbaine")),
    ("budget des théatres", lambda: figure("Theatres")),
    ("budget stades", lambda: figure("Stades")),
    ("combien pour les fêtes et cérémonies", lambda: figure("Fetes et ceremonies")),
    ("budget tourisme", lambda: figure("Aides au tourisme")),
    ("combien pour les cimetières", lambda: figure("Cimetieres et pompes funebres")),
    # datasets of the portals
    ("purchase card transactions dataset", lambda: dataset("purchase card transactions")),
    ("February 2018 purchase card transactions", lambda: dataset("February 2018")),
    ("jeu de données équipements publics", lambda: dataset("équipements publics")),
    ("quelles données sur les quartiers ?", lambda: dataset("quartiers")),
]

# Residents' words beyond the first set: other communes of both départements, names, services
# open at a fixed moment (SATURDAY), dates written every way, budget lines in other words.
QUESTIONS += [
    ("maire de condom", lambda: says_all(mayor(_commune_code("Condom")))),
    ("qui est le maire de lectoure ?", lambda: says_all(mayor(_commune_code("Lectoure")))),
    ("c ki le maire d eauze", lambda: says_all(mayor(_commune_code("Eauze")))),
    ("le 2eme adjoint de Fleurance", lambda: says_all(deputy(_commune_code("Fleurance"), 2))),
    ("premiere adjointe de mirande", lambda: says_all(deputy(_commune_code("Mirande"), 1))),
    ("who is the mayor of Guerande", lambda: says_all(mayor(_commune_code("Guérande")))),
    ("3e adjoint Carquefou", lambda: says_all(deputy(_commune_code("Carquefou"), 3))),
    ("les adjoints d'Orvault", lambda: says_all(deputies(_commune_code("Orvault")))),
    ("maire de la baule escoublac", lambda: says_all(mayor(_commune_code("La Baule-Escoublac")))),
    ("maire de chateaubriant", lambda: says_all(mayor(_commune_code("Châteaubriant")))),
    ("second deputy mayor of Pornic", lambda: says_all(deputy(_commune_code("Pornic"), 2))),
    ("maire de l'isle jourdain", lambda: says_all(mayor(_commune_code("L'Isle-Jourdain")))),
    ("qui est le 5e adjoint de Bouguenais", lambda: says_all(deputy(_commune_code("Bouguenais"), 5))),
    ("les élus de Mirande", lambda: says_all(mayor(_commune_code("Mirande")))),
    ("adjoint à l'urbanisme de Condom", lambda: no_official()),
    ("la 10e adjointe de nantes", lambda: says_all(deputy(NANTES, 10))),
    ("Marie Vitoux elle fait quoi", lambda: says_all(deputy(NANTES, 10))),
    ("jean-francois rousse c qui", lambda: says_all(mayor(_commune_code("Condom")))),
    ("aicha bassal", lambda: says_all(deputy(NANTES, 4))),
    ("le maire de Lyon", lambda: unknown("Lyon")),
    ("qui est le maire de toulouse", lambda: unknown("Toulouse")),
    (at(ANTIGONE, "pharmacie la + proche"), lambda: nearest({"pharmacy", "pharmacie"}, ANTIGONE)),
    (at(ANTIGONE, "boulangrie pas loin"), lambda: nearest({"bakery"}, ANTIGONE)),
    (at(ANTIGONE, "nearest hairdresser"), lambda: nearest({"hairdresser"}, ANTIGONE)),
    (at(ANTIGONE, "nearest laundromat"), lambda: nearest({"laundry"}, ANTIGONE)),
    (at(ANTIGONE, "un kiosque a journaux pas loin"), lambda: nearest({"kiosk"}, ANTIGONE)),
    (at(BOTTIERE, "nearest town hall annex"), lambda: nearest({"Mairie annexe"}, BOTTIERE)),
    ("supermarché ouvert maintenant", lambda: open_first({"Monoprix", "8 A Huit"})),
    ("coiffeur ouvert maintenant", lambda: open_first({"R Stars"})),
    ("is the bookshop open now?", lambda: listed_first("Le Bookshop")),
    ("8 a huit horaires", lambda: says("8 A Huit", "07:00–20:00")),  # the file: 7h-20h
    ("Monoprix open sunday?", lambda: hours("Monoprix", "09:00-12:45")),
    ("stringbox horaires", lambda: hours("Stringbox", "16:00-19:00", "10:00-13:00")),
    ("mairie annexe doulon", lambda: listed_first("Mairie annexe Nantes Doulon")),
    ("tel mairie annexe malakoff", lambda: says("Mairie annexe Malakoff", "02 40 41 67 25")),
    ("adresse mairie annexe bellevue", lambda: says("Mairie annexe Bellevue", "4 Place des Lauriers")),
    ("pole de proximite erdre et cens", lambda: listed_first("Pôle de Proximite Erdre et Cens")),
    ("conseil du 16/12/13", lambda: meeting("16/12/2013")),
    ("délibérations du 25 novembre 2013", lambda: meeting("25/11/2013")),
    ("aide humanitaire typhon Philippines", lambda: deliberation("Typhon")),
    ("deliberations typhon philippines", lambda: deliberation("Typhon")),
    ("les delib de 2013 sur le cinema", lambda: deliberation("cinéma")),
    ("council decisions in december 2013", lambda: says("16 Dec 2013")),
    ("délibérations de 2011", lambda: absent()),
    ("deliberation sur les crèches en 2013", lambda: deliberation("crèche")),
    ("données sur les cartes d'achat", lambda: dataset("purchase card")),
    ("purchase cards data", lambda: dataset("purchase card")),
    ("how much for street lighting", lambda: figure("Eclairage public", "en")),
    ("street lighting budget", lambda: figure("Eclairage public", "en")),
    ("cb pour l eclairage public", lambda: figure("Eclairage public")),
    ("budget des creches 2014", lambda: figure("Creches et garderies")),
    ("how much does the city spend on museums", lambda: figure("Musees", "en")),
    ("budget police municipale 2013", lambda: says("2013", "2014")),
    ("combien pour les ecoles maternelles", lambda: figure("Ecoles maternelles")),
    ("budget cimetieres", lambda: figure("Cimetieres et pompes funebres")),
    ("school canteen budget", lambda: figure("Hebergement et restauration scolaire", "en")),
    ("budget des parcs et jardins", lambda: figure("Espaces verts urbains")),
    ("budget gymnases", lambda: figure("Salles de sport, gymnases")),
]


# A third set, asked on the loaded files in a chat as residents would: commune names misspelt or
# cut short (the commune of the file offered, never answered for), people by name, kinds of
# places the files do not hold, closing times, named places open on a day, council decisions and
# budget lines in other words, quartiers by position.
QUESTIONS += [
    # officials: a commune misspelt or cut short is offered, and chosen
    (["c ki le maire de guerende", "1"], lambda: says_all(mayor(_commune_code("Guérande")))),
    (["qui est le maire de saint herblin", "1"], lambda: says_all(mayor(_commune_code("Saint-Herblain")))),
    (["maire de carquefoux", "1"], lambda: says_all(mayor(_commune_code("Carquefou")))),
    (["le maire d'ancenis", "1"], lambda: says_all(mayor(_commune_code("Ancenis-Saint-Géréon")))),
    (["maire de st sebastien", "1"], lambda: says_all(mayor(_commune_code("Saint-Sébastien-Sur-Loire")))),
    (["mayor of Orvaut", "1"], lambda: says_all(mayor(_commune_code("Orvault")))),
    (["3e adjoint de clison", "1"], lambda: says_all(deputy(_commune_code("Clisson"), 3))),
    (["mayor of la baule", "1"], lambda: says_all(mayor(_commune_code("La Baule-Escoublac")))),
    (["maire de machecoul", "1"], lambda: says_all(mayor(_commune_code("Machecoul-Saint-Même")))),
    (["qui est le maire de lectour", "1"], lambda: says_all(mayor(_commune_code("Lectoure")))),
    (["maire de bouguenay", "1"], lambda: says_all(mayor(_commune_code("Bouguenais")))),
    ("qui est le maire de lectour", lambda: suggests("Lectoure")),
    ("maire de guerende", lambda: suggests("Guérande")),
    ("maire de la chapelle", lambda: suggests("La Chapelle-Sur-Erdre")),
    ("c ki le maire de toulouse", lambda: unknown("Toulouse")),
    ("maire de marseille", lambda: unknown("Marseille")),
    ("qui est le maire de mont de marsan", lambda: unknown("Mont De Marsan")),
    ("le maire de Bordeaux", lambda: unknown("Bordeaux")),
    # officials: communes written every way
    ("c ki le maire de vertou", lambda: says_all(mayor(_commune_code("Vertou")))),
    ("c'est qui le maire de ste luce sur loire", lambda: says_all(mayor(_commune_code("Sainte-Luce-Sur-Loire")))),
    ("qui est le maire de Saint-Aignan-Grandlieu", lambda: says_all(mayor(_commune_code("Saint-Aignan-Grandlieu")))),
    ("maire de montreal", lambda: says_all(mayor(_commune_code("Montréal")))),
    ("maire du Pouliguen", lambda: says_all(mayor(_commune_code("Le Pouliguen")))),
    ("maire du croisic", lambda: says_all(mayor(_commune_code("Le Croisic")))),
    ("maire de Pornichet", lambda: says_all(mayor(_commune_code("Pornichet")))),
    ("maire de nort sur erdre", lambda: says_all(mayor(_commune_code("Nort-Sur-Erdre")))),
    ("qui est le maire de Marciac", lambda: says_all(mayor(_commune_code("Marciac")))),
    ("maire de samatan", lambda: says_all(mayor(_commune_code("Samatan")))),
    ("maire de nogaro", lambda: says_all(mayor(_commune_code("Nogaro")))),
    ("le maire de gimont", lambda: says_all(mayor(_commune_code("Gimont")))),
    ("le maire de Saint-Clar", lambda: says_all(mayor(_commune_code("Saint-Clar")))),
    ("quel est le nom du maire de Rezé", lambda: says_all(mayor(REZE))),
    ("le 2e adjoint de saint nazaire", lambda: says_all(deputy(_commune_code("Saint-Nazaire"), 2))),
    ("1ere adjointe de Guérande", lambda: says_all(deputy(_commune_code("Guérande"), 1))),
    ("3eme adjoint condom", lambda: says_all(deputy(_commune_code("Condom"), 3))),
    ("qui est le premier adjoint d'Auch", lambda: says_all(deputy(_commune_code("Auch"), 1))),
    ("les adjoints de Vertou", lambda: says_all(deputies(_commune_code("Vertou")))),
    ("maire de pontchateau", lambda: says_all(mayor(_commune_code("Pontchâteau")))),
    ("maire de saint brevin les pins", lambda: says_all(mayor(_commune_code("Saint-Brevin-Les-Pins")))),
    ("qui s'occupe de la culture à Rezé", lambda: no_official()),
    # officials by name, homonyms in two communes
    ("qui est Philippe Baron", lambda: person("Philippe", "BARON")),
    ("Sandrine Urizzi", lambda: person("Sandrine", "URIZZI")),
    ("qui est agnes bourgeais", lambda: says_all(mayor(REZE))),
    ("David Samzun c'est qui", lambda: says_all(mayor(_commune_code("Saint-Nazaire")))),
    ("who is Rodolphe Amailland", lambda: says_all(mayor(_commune_code("Vertou")))),
    ("Johanna Roland elle fait quoi", lambda: says_all(mayor(NANTES))),
    ("comment contacter le maire de Rezé", lambda: no_contact(mayor(REZE))),
    ("quel est le mail du maire de nantes", lambda: no_contact(mayor(NANTES))),
    ("le tel de johanna rolland", lambda: no_contact(mayor(NANTES))),
    ("how can I reach the mayor of Vertou", lambda: no_contact(mayor(_commune_code("Vertou")))),
    # services: kinds the files do not hold are said unknown, never another kind named alike
    (at(BOTTIERE, "la bibliothèque la plus proche"), lambda: no_such({"library"})),
    (at(BOTTIERE, "nearest library"), lambda: no_such({"library"})),
    (at(COMEDIE, "une médiathèque pas loin"), lambda: no_such({"library"})),
    (at(BOTTIERE, "nearest police station"), lambda: no_such({"police"})),
    (at(BOTTIERE, "un commissariat pas loin"), lambda: no_such({"police"})),
    (at(COMEDIE, "un glacier pas loin"), lambda: no_such({"ice_cream"})),
    (at(COMEDIE, "la poste la plus proche"), lambda: no_such({"post_office"})),
    (at(COMEDIE, "nearest post office"), lambda: no_such({"post_office"})),
    (at(COMEDIE, "un parking pas loin"), lambda: no_such({"parking"})),
    (at(COMEDIE, "ou est le dentiste le plus proche"), lambda: no_such({"dentist"})),
    (at(BOTTIERE, "la piscine la plus proche"), lambda: no_such({"swimming_pool"})),
    # services: the nearest of a kind, in everyday words
    (at(COMEDIE, "un vitrier pas loin"), lambda: nearest({"glaziery"}, COMEDIE)),
    (at(COMEDIE, "un magasin de velo pas loin"), lambda: nearest({"bicycle"}, COMEDIE)),
    (at(COMEDIE, "un tabac pas loin"), lambda: nearest({"tobacco"}, COMEDIE)),
    (at(COMEDIE, "une station essence pas loin"), lambda: nearest({"fuel"}, COMEDIE)),
    (at(COMEDIE, "un opticien pas loin"), lambda: nearest({"optician"}, COMEDIE)),
    (at(ECUSSON, "une pharmacie pas loin"), lambda: nearest({"pharmacy", "pharmacie"}, ECUSSON)),
    (at(COMEDIE, "pharmacie de garde dimanche"), lambda: nearest({"pharmacy", "pharmacie"}, COMEDIE)),
    (at(ECUSSON, "une pharmacie de garde"), lambda: nearest({"pharmacy", "pharmacie"}, ECUSSON)),
    (at(ANTIGONE, "nearest duty pharmacy"), lambda: nearest({"pharmacy", "pharmacie"}, ANTIGONE)),
    (at(ECUSSON, "un kebab pas loin"), lambda: nearest({"fast_food"}, ECUSSON)),
    (at(ECUSSON, "une laverie pas loin svp"), lambda: nearest({"laundry"}, ECUSSON)),
    (at(MOSSON, "pharmacie la plus proche"), lambda: nearest({"pharmacy", "pharmacie"}, MOSSON)),
    (at(MOSSON, "boulangerie la plus proche"), lambda: nearest({"bakery"}, MOSSON)),
    (at(MOSSON, "nearest supermarket"), lambda: nearest({"supermarket"}, MOSSON)),
    (at(ANTIGONE, "un bar pas loin"), lambda: nearest({"bar"}, ANTIGONE)),
    (at(ANTIGONE, "une boucherie pas loin"), lambda: nearest({"butcher"}, ANTIGONE)),
    (at(BOTTIERE, "la mairie la plus proche"), lambda: nearest({"Mairie annexe", "Mairie - Hotel de Ville"}, BOTTIERE)),
    (at(CHANTENAY, "mairie la plus proche"), lambda: nearest({"Mairie annexe", "Mairie - Hotel de Ville"}, CHANTENAY)),
    (at(BOTTIERE, "nearest town hall"), lambda: nearest({"Mairie annexe", "Mairie - Hotel de Ville"}, BOTTIERE)),
    (at(NANTES_NORD, "mairie annexe la plus proche"), lambda: nearest({"Mairie annexe"}, NANTES_NORD)),
    (at(ILE, "pole de proximite le plus proche"), lambda: nearest({"Pôle de proximité"}, ILE)),
    # services: hours, closing times, a named place on a day
    ("le monoprix ferme a quelle heure", lambda: hours("Monoprix", "21:45")),
    ("a quelle heure ferme la pharmacie de l'aiguelongue", lambda: hours("Pharmacie de l'Aiguelongue", "19:30")),
    ("heures d'ouverture du monoprix", lambda: hours("Monoprix", "08:30-21:45")),
    ("horaires resto self pere soulas", lambda: hours("Resto-self Village du Père Soulas", "11:30-15:30")),
    ("le resto du père soulas est ouvert samedi ?",
     lambda: closed_first("Resto-self Village du Père Soulas", SATURDAY)),
    ("le bookshop ferme a quelle heure le samedi", lambda: hours("Le Bookshop", "10:00-18:00")),
    ("8 a huit ouvert dimanche soir ?", lambda: says("8 A Huit", "07:00–20:00")),
    ("stringbox c'est ouvert le lundi matin ?", lambda: hours("Stringbox", "16:00-19:00")),
    ("un resto ouvert lundi soir", lambda: none_open({"restaurant"}, MONDAY.replace(hour=19))),
    ("monoprix ouvert dimanche apres midi", lambda: at_moment("Monoprix", SUNDAY.replace(hour=15))),
    ("le resto du pere soulas est ouvert lundi soir ?",
     lambda: at_moment("Resto-self Village du Père Soulas", MONDAY.replace(hour=19))),
    ("8 a huit ouvert ce soir ?", lambda: at_moment("8 A Huit", SATURDAY.replace(hour=19, minute=0))),
    ("is Monoprix open sunday morning?", lambda: at_moment("Monoprix", SUNDAY.replace(hour=10))),
    ("tel de l'hotel de ville de saint herblain", lambda: phone("Hôtel de ville de Saint Herblain")),
    ("numero de la mairie annexe doulon", lambda: phone("Mairie annexe Nantes Doulon")),
    ("telephone mairie annexe nantes sud", lambda: phone("Mairie annexe Nantes Sud")),
    ("le numéro de l'hôtel de ville de vertou", lambda: phone("Hôtel de ville de Vertou")),
    ("ou est la prefecture", lambda: listed_first("Préfecture")),
    # council: decisions by topic, in residents' words; none on what the files do not hold
    ("qu'a décidé le conseil sur le Club des villes cyclables",
     lambda: deliberation("villes et territoires cyclables")),
    ("délibération sur la Panacée", lambda: deliberation("Panacée")),
    ("conseil municipal Grand Coeur", lambda: deliberation("Grand C")),
    ("subvention maison de la poesie", lambda: deliberation("Maison de la Poésie")),
    ("les décisions sur le manège du parc tastavin", lambda: deliberation("Tastavin")),
    ("quand a été voté le budget primitif 2014", lambda: deliberation("Budget Primitif", "16/12/2013")),
    ("délibérations parkings comédie antigone", lambda: deliberation("Parkings Comédie et Antigone")),
    ("délibérations sur la cité des métiers", lambda: deliberation("Cité des Métiers")),
    ("delib stade philippides", lambda: deliberation("PHILIPPIDES")),
    ("les délibérations sur la jeunesse", lambda: deliberation("Jeunesse")),
    ("council decision on the Corum", lambda: deliberation("Corum")),
    ("le conseil a voté quoi sur les subventions aux associations", lambda: deliberation("subvention")),
    ("délibérations sur les piscines", lambda: no_deliberation("piscine")),
    ("qu'a décidé le conseil sur la dette", lambda: no_deliberation("dette")),
    ("deliberations about the zoo", lambda: no_deliberation("zoo")),
    # budget: lines in other words, lines the file does not have
    ("how much is spent on parks", lambda: figure("Espaces verts urbains", "en")),
    ("budget des parcs", lambda: figure("Espaces verts urbains")),
    ("combien coûte la police municipale", lambda: figure("Police municipale")),
    ("budget voirie 2014", lambda: figures("Equipements de voirie", "Voirie communale et routes")),
    ("combien pour les centres de loisirs", lambda: figure("Centres de loisirs")),
    ("budget foires et marchés", lambda: figure("Foires et marches")),
    ("budget des archives municipales", lambda: figure("Archives")),
    ("how much for the cemeteries", lambda: figure("Cimetieres et pompes funebres", "en")),
    ("budget de la restauration scolaire", lambda: figure("Hebergement et restauration scolaire")),
    ("combien pour l'hygiène et la salubrité", lambda: figure("Hygiene et salubrite publique")),
    ("combien pour les bibliothèques", lambda: no_budget_line("biblioth")),
    ("budget logement", lambda: no_budget_line("logement")),
    ("budget des piscines", lambda: no_budget_line("piscine")),
    # datasets
    ("données sur les quartiers de nantes", lambda: dataset("quartiers")),
    ("January 2021 purchase card transactions", lambda: dataset("January 2021")),
    ("quelles données sur les achats par carte", lambda: dataset("Purchase Card")),
    ("les achats par carte de la ville", lambda: dataset("Purchase Card")),
    ("jeux de données sur les équipements publics", lambda: dataset("équipements publics")),
    # quartiers by position
    (at(COMEDIE, "je suis dans quel quartier"), lambda: quartier(COMEDIE)),
    (at(MOSSON, "c koi mon quartier"), lambda: quartier(MOSSON)),
    (at(BOTTIERE, "quel quartier ici"), lambda: quartier(BOTTIERE)),
    (at(ILE, "which neighbourhood am I in"), lambda: quartier(ILE)),
    (at(NANTES_NORD, "je suis ou"), lambda: quartier(NANTES_NORD)),
]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                    demo_data=False)


def _portal() -> web.Application:
    records, catalog = _ods(), json.loads((REAL / "derived" / "ods_catalog.json").read_text("utf-8"))
    search = json.loads((REAL / "original" / "birmingham-ckan-package_search.json").read_text("utf-8"))

    def page(rows: list, request: web.Request, offset: str, limit: str) -> list:
        start = int(request.query[offset])
        return rows[start:start + int(request.query[limit])]

    async def datasets(request: web.Request) -> web.Response:
        return web.json_response({"total_count": len(catalog),
                                  "results": page(catalog, request, "offset", "limit")})

    async def dataset_sheet(request: web.Request) -> web.Response:
        return web.json_response(next(entry for entry in catalog
                                      if entry["dataset_id"] == request.match_info["id"]))

    async def dataset_records(request: web.Request) -> web.Response:
        rows = records[request.match_info["id"]]
        return web.json_response({"total_count": len(rows),
                                  "results": page(rows, request, "offset", "limit")})

    async def package_search(request: web.Request) -> web.Response:
        result = {**search["result"], "results": page(search["result"]["results"], request,
                                                      "start", "rows")}
        return web.json_response({**search, "result": result})

    app = web.Application()
    app.router.add_get("/api/explore/v2.1/catalog/datasets", datasets)
    app.router.add_get("/api/explore/v2.1/catalog/datasets/{id}", dataset_sheet)
    app.router.add_get("/api/explore/v2.1/catalog/datasets/{id}/records", dataset_records)
    app.router.add_get("/api/3/action/package_search", package_search)
    return app


@pytest.fixture
async def resident(bot: CivicBot, serve, monkeypatch) -> AsyncIterator[ChatTester]:
    import intents._answers
    import intents.find_service

    for module in (intents._answers, intents.find_service):
        monkeypatch.setattr(module, "now", lambda ctx: SATURDAY)
    portal = await serve(_portal())
    montpellier, osm = Origin("Ville de Montpellier (fichier dérivé)"), Origin("OpenStreetMap", licence="ODbL")
    imports = [
        lambda w: import_rne(w, REAL / "derived" / "rne-elus-cm-gers-loire-atlantique.csv", set(), RNE_ORIGIN),
        lambda w: import_areas(w, SHARED / "data" / "nantes-quartiers.geojson", Origin("Nantes Métropole"),
                               city="Nantes"),
        lambda w: import_areas(w, REAL / "original" / "nantes-metropole-communes.geojson",
                               Origin("Nantes Métropole")),
        lambda w: import_areas(w, REAL / "original" / "montpellier-VilleMTP_MTP_Quartiers.geojson",
                               montpellier, name_property="LIBQUART"),
        lambda w: import_deliberations(w, REAL / "derived" / "montpellier-delibs-scdl-mapped.csv",
                                       montpellier, body="Conseil municipal"),
        lambda w: import_deliberations(w, REAL / "derived" / "montpellier-delibs-scdl-projectno.csv",
                                       Origin("Ville de Montpellier (numéros de projet)"),
                                       body="Conseil municipal"),
        lambda w: import_plain(w, "service", REAL / "derived" / "montpellier-osm-pharmacies-services.csv",
                               Origin("OpenStreetMap (pharmacies)")),
        lambda w: import_plain(w, "service", REAL / "derived" / "montpellier-osm-all-services.csv", osm),
        lambda w: import_plain(w, "fact", REAL / "derived" / "montpellier-bp2014-depenses-par-fonction.csv",
                               montpellier),
        lambda w: import_ods_catalog(w, portal, portal_origin(portal, "Nantes Métropole")),
        lambda w: import_ods_records(w, portal, EQUIPMENTS, "service", {
            "id": "idobj", "name": "nom_complet", "category": "libtype", "address": "adresse",
            "phone": "telephone", "url": "web"}, portal_origin(portal, "Nantes Métropole (2014)")),
        lambda w: import_ckan(w, portal, portal_origin(portal, "Birmingham City Council")),
    ]
    for work in imports:
        async with bot.sessions() as session:
            writer = Writer(session)
            await work(writer)
            await writer.finish()
            await session.commit()
    yield ChatTester(bot, user="resident")


async def test_residents_questions_on_every_real_file_at_once(resident: ChatTester) -> None:
    """Every answer right; one that is not is counted absent (no source quoted: "I don't know")
    or wrong (a fact given with its source), and both are listed."""
    failed: dict[str, list[str]] = {"absent": [], "wrong": []}
    for number, (messages, expectation) in enumerate(QUESTIONS):
        resident.user = f"resident-{number}"  # each question from a new resident: no context
        for message in [messages] if isinstance(messages, str) else messages:
            if message.startswith("/position "):
                latitude, longitude = map(float, message.split()[1:])
                reply = await resident.share_location(latitude, longitude)
            else:
                reply = await resident.say(message)
        if not expectation()(reply.text):
            failed["absent" if absent()(reply.text) else "wrong"].append(
                f"{messages!r} -> {reply.text[:400]!r}")
    right = len(QUESTIONS) - len(failed["absent"]) - len(failed["wrong"])
    tally = f"{right} right, {len(failed['absent'])} absent, {len(failed['wrong'])} wrong of {len(QUESTIONS)}"
    print(f"replay: {tally}")
    assert not failed["absent"] + failed["wrong"], tally + "\n" + "\n".join(
        f"{outcome}: {line}" for outcome, lines in failed.items() for line in lines)
    assert len(QUESTIONS) >= 320
