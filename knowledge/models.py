"""Knowledge tables. Each row has a natural ``key`` (re-importing updates it, never duplicates)
and its provenance (:class:`Provenance`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

# Keys compared by range (prefix look-ups) must sort byte-wise on PostgreSQL too.
BinaryString = String(160).with_variant(String(160, collation="C"), "postgresql")


class Provenance:
    """Where a row comes from: shown with every answer that uses it."""

    key: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(255))
    source_url: Mapped[str] = mapped_column(String(1024), default="")
    licence: Mapped[str] = mapped_column(String(255), default="")
    source_date: Mapped[dt.date | None] = mapped_column(Date)  # published, or retrieved
    demo: Mapped[bool] = mapped_column(default=False)  # demonstration data, never official
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Area(Provenance, Base):
    """A neighbourhood (quartier): a polygon, or failing that an (approximate) centre point."""

    __tablename__ = "kb_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(255), default="")
    code: Mapped[str] = mapped_column(String(64), default="")
    geometry: Mapped[dict | None]  # GeoJSON geometry, WGS84
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    approximate: Mapped[bool] = mapped_column(default=False)


class Official(Provenance, Base):
    """An elected official. Birth dates are never stored."""

    __tablename__ = "kb_officials"
    __table_args__ = (
        Index("ix_kb_officials_last_name_key", "last_name_key"),
        Index("ix_kb_officials_last_name_rev", "last_name_rev"),
        Index("ix_kb_officials_first_name_key", "first_name_key"),
        Index("ix_kb_officials_commune_key", "commune_key"),
        Index("ix_kb_officials_commune_code", "commune_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    first_name_key: Mapped[str] = mapped_column(BinaryString)  # folded, for fuzzy look-up
    last_name_key: Mapped[str] = mapped_column(BinaryString)
    last_name_rev: Mapped[str] = mapped_column(BinaryString)  # reversed: typos at the start
    role: Mapped[str] = mapped_column(String(255), default="")  # as the source words it
    delegations: Mapped[list] = mapped_column(default=list)  # topics they are in charge of
    areas: Mapped[list] = mapped_column(default=list)  # area keys; empty: the whole city
    commune_code: Mapped[str] = mapped_column(String(16), default="")
    commune: Mapped[str] = mapped_column(String(255), default="")
    commune_key: Mapped[str] = mapped_column(String(255), default="")  # folded: "reze"
    email: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    mandate_start: Mapped[dt.date | None] = mapped_column(Date)
    mandate_end: Mapped[dt.date | None] = mapped_column(Date)
    function_start: Mapped[dt.date | None] = mapped_column(Date)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Service(Provenance, Base):
    __tablename__ = "kb_services"
    # "the nearest X": the services of a category in a bounding box (knowledge.services)
    __table_args__ = (Index("ix_kb_services_category_position", "category", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(512), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    area: Mapped[str] = mapped_column(String(160), default="")  # area key
    hours: Mapped[str] = mapped_column(String(512), default="")  # as the source wrote them
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    keywords: Mapped[list] = mapped_column(default=list)


class Document(Provenance, Base):
    """A council meeting (``kind == "meeting"``), a deliberation, or another published text."""

    __tablename__ = "kb_documents"
    __table_args__ = (Index("ix_kb_documents_kind_date", "kind", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # meeting, deliberation, text
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(String(255), default="")  # e.g. "Conseil municipal"
    subject: Mapped[str] = mapped_column(String(255), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    meeting_key: Mapped[str] = mapped_column(String(255), default="")  # a deliberation's meeting
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstention: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(1024), default="")


class Dataset(Provenance, Base):
    __tablename__ = "kb_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list] = mapped_column(default=list)
    publisher: Mapped[str] = mapped_column(String(255), default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    updated: Mapped[dt.date | None] = mapped_column(Date)


class Fact(Provenance, Base):
    """A figure: a budget line, a population..."""

    __tablename__ = "kb_facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(512))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(64), default="")  # e.g. "2015"
    area: Mapped[str] = mapped_column(String(160), default="")  # area key; empty: the city
    keywords: Mapped[list] = mapped_column(default=list)
    url: Mapped[str] = mapped_column(String(1024), default="")


class Street(Provenance, Base):
    """A street name and the area it lies in: the local look-up of addresses."""

    __tablename__ = "kb_streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    city: Mapped[str] = mapped_column(String(255), default="")
    area: Mapped[str] = mapped_column(String(160), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class SearchEntry(Base):
    """The searchable text of a row, folded (lower case, no accents) on both backends.

    SQLite mirrors it in an FTS5 table by triggers; PostgreSQL keeps a generated tsvector
    column (see the 0002_knowledge migration). ``search_terms`` holds its vocabulary, used to
    correct misspelt query words.
    """

    __tablename__ = "kb_search"
    __table_args__ = (UniqueConstraint("kind", "ref_key", name="uq_kb_search_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # fact, dataset, document, service, official
    ref_key: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")


class SearchTerm(Base):
    __tablename__ = "kb_search_terms"

    term: Mapped[str] = mapped_column(BinaryString, primary_key=True)


# by kind; type[Any], since the classes share their columns through a mixin, not a mapped base
MODELS: dict[str, type[Any]] = {"area": Area, "official": Official, "service": Service, "document": Document,
          "dataset": Dataset, "fact": Fact, "street": Street}
