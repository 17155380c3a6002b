"""The Répertoire national des élus (RNE): ``elus-conseillers-municipaux-cm.csv``.

``;``-separated, 16 columns. Birth dates (``Date de naissance``) are personal data: they are
read past and never stored; the sex code only chooses the wording of a plain councillor's role.
"""
from __future__ import annotations

import re
from pathlib import Path

from knowledge.importers import ImportFailed, Origin, Writer, parse_date, read_csv
from knowledge.models import Official
from knowledge.officials import name_keys
from knowledge.store import slug

COLUMNS = (
    "Code du département", "Libellé du département",
    "Code de la collectivité à statut particulier",
    "Libellé de la collectivité à statut particulier", "Code de la commune",
    "Libellé de la commune", "Nom de l'élu", "Prénom de l'élu", "Code sexe", "Date de naissance",
    "Code de la catégorie socio-professionnelle",
    "Libellé de la catégorie socio-professionnelle", "Date de début du mandat",
    "Libellé de la fonction", "Date de début de la fonction", "Code nationalité",
)
REQUIRED = ("Code de la commune", "Libellé de la commune", "Nom de l'élu", "Prénom de l'élu",
            "Date de début du mandat", "Libellé de la fonction")
ORIGIN = Origin(
    source="Répertoire national des élus (ministère de l'Intérieur)",
    source_url="https://www.data.gouv.fr/fr/datasets/repertoire-national-des-elus-1/",
    licence="Licence Ouverte / Open Licence 2.0",
)
_WORD_START = re.compile(r"(^|[\s\-'’])(\w)")


def display_name(name: str) -> str:
    """``"LE GOFF-DURAND"`` -> ``"Le Goff-Durand"``."""
    return _WORD_START.sub(lambda match: match.group(1) + match.group(2).upper(), name.lower())


async def import_rne(writer: Writer, path: Path, communes: set[str] | None, origin: Origin,
                     encoding: str | None = None) -> None:
    """The officials of the file (of these communes only, if given). The file is the whole truth
    about the RNE officials (of those communes): the others are removed."""
    scope = Official.key.startswith("rne-")
    writer.replaces("official", scope & Official.commune_code.in_(communes) if communes else scope)
    for where, record in read_csv(path, REQUIRED, encoding):
        commune = record["Code de la commune"]
        if communes and commune not in communes:
            continue
        last, first = record["Nom de l'élu"], record["Prénom de l'élu"]
        if not last or not commune:
            raise ImportFailed(f"{where}: the official has no name or no commune code")
        role = record["Libellé de la fonction"] or (
            "Conseillère municipale" if record.get("Code sexe") == "F" else "Conseiller municipal")
        keys = name_keys(first, last)
        await writer.add("official", {  # one row per function: an adjoint who became maire has two
            "key": f"rne-{commune}-{slug(keys['last_name_key'], keys['first_name_key'], role)}",
            "first_name": display_name(first), "last_name": display_name(last), **keys,
            "role": role, "delegations": [], "areas": [],
            "commune_code": commune, "commune": record["Libellé de la commune"],
            "email": "", "phone": "", "url": "",
            "mandate_start": parse_date(record["Date de début du mandat"], where,
                                        "Date de début du mandat"),
            "mandate_end": None,
            "function_start": parse_date(record.get("Date de début de la fonction"), where,
                                         "Date de début de la fonction"),
            **origin.fields(),
        }, where)

