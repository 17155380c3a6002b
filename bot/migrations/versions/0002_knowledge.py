"""Knowledge base: areas, officials, services, documents, datasets, facts, streets, search.

Full-text search: on SQLite an FTS5 table mirrors ``kb_search`` through triggers; on PostgreSQL
a generated tsvector column in the ``civicbot_fr`` configuration (French stemming, plus the
unaccent dictionary when the extension can be had). The indexed text is folded (no accents)
before it is stored, so search is accent-insensitive on both backends even without unaccent.

Revision ID: 0002_knowledge
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_knowledge"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS_CONFIG = "civicbot_fr"
KEY = sa.String(160).with_variant(sa.String(160, collation="C"), "postgresql")


def _provenance(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("source_url", sa.String(1024), nullable=False),
        sa.Column("licence", sa.String(255), nullable=False),
        sa.Column("source_date", sa.Date()),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("key", name=f"uq_{table}_key"),
    ]


def _text(name: str, length: int | None = 255) -> sa.Column:
    kind = sa.Text() if length is None else sa.String(length)
    return sa.Column(name, kind, nullable=False)


def _point() -> list[sa.Column]:
    return [sa.Column("latitude", sa.Float()), sa.Column("longitude", sa.Float())]


def upgrade() -> None:
    op.create_table(
        "kb_areas", sa.Column("id", sa.Integer()), _text("name"), _text("city"), _text("code", 64),
        sa.Column("geometry", sa.JSON()), *_point(),
        sa.Column("approximate", sa.Boolean(), nullable=False), *_provenance("kb_areas"),
    )
    op.create_table(
        "kb_officials", sa.Column("id", sa.Integer()), _text("first_name"), _text("last_name"),
        sa.Column("first_name_key", KEY, nullable=False),
        sa.Column("last_name_key", KEY, nullable=False),
        sa.Column("last_name_rev", KEY, nullable=False),
        _text("role"), sa.Column("delegations", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False), _text("commune_code", 16), _text("commune"),
        _text("email"), _text("phone", 64), _text("url", 1024),
        sa.Column("mandate_start", sa.Date()), sa.Column("mandate_end", sa.Date()),
        sa.Column("function_start", sa.Date()), *_provenance("kb_officials"),
    )
    for column in ("last_name_key", "last_name_rev", "first_name_key"):
        op.create_index(f"ix_kb_officials_{column}", "kb_officials", [column])
    op.create_table(
        "kb_services", sa.Column("id", sa.Integer()), _text("name"), _text("category"),
        _text("address", 512), *_point(), _text("area", 160), _text("hours", 512),
        _text("phone", 64), _text("email"), _text("url", 1024),
        sa.Column("keywords", sa.JSON(), nullable=False), *_provenance("kb_services"),
    )
    op.create_table(
        "kb_documents", sa.Column("id", sa.Integer()), _text("kind", 32), _text("title", None),
        sa.Column("date", sa.Date()), _text("body"), _text("subject"), _text("text", None),
        _text("meeting_key"), sa.Column("votes_for", sa.Integer()),
        sa.Column("votes_against", sa.Integer()), sa.Column("votes_abstention", sa.Integer()),
        _text("url", 1024), *_provenance("kb_documents"),
    )
    op.create_index("ix_kb_documents_kind_date", "kb_documents", ["kind", "date"])
    op.create_table(
        "kb_datasets", sa.Column("id", sa.Integer()), _text("title", None),
        _text("description", None), sa.Column("keywords", sa.JSON(), nullable=False),
        _text("publisher"), _text("url", 1024), sa.Column("updated", sa.Date()),
        *_provenance("kb_datasets"),
    )
    op.create_table(
        "kb_facts", sa.Column("id", sa.Integer()), _text("label", 512),
        sa.Column("value", sa.Float(), nullable=False), _text("unit", 64), _text("period", 64),
        _text("area", 160), sa.Column("keywords", sa.JSON(), nullable=False), _text("url", 1024),
        *_provenance("kb_facts"),
    )
    op.create_table(
        "kb_streets", sa.Column("id", sa.Integer()), _text("name"), _text("name_key"),
        _text("city"), _text("area", 160), *_point(), *_provenance("kb_streets"),
    )
    op.create_index("ix_kb_streets_name_key", "kb_streets", ["name_key"])
    op.create_table(
        "kb_search", sa.Column("id", sa.Integer()), _text("kind", 32), _text("ref_key"),
        _text("title", None), _text("body", None),
        sa.PrimaryKeyConstraint("id", name="pk_kb_search"),
        sa.UniqueConstraint("kind", "ref_key", name="uq_kb_search_kind"),
    )
    op.create_table(
        "kb_search_terms", sa.Column("term", KEY, nullable=False),
        sa.PrimaryKeyConstraint("term", name="pk_kb_search_terms"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_full_text()
    else:
        _postgresql_full_text()


def _sqlite_full_text() -> None:
    # ``kind`` is indexed too, so that a search restricted to some kinds stays in the index.
    op.execute("CREATE VIRTUAL TABLE kb_search_fts USING fts5(title, body, kind, "
               "content='kb_search', content_rowid='id', "
               "tokenize='unicode61 remove_diacritics 2')")
    op.execute("INSERT INTO kb_search_fts(kb_search_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 0.0)')")
    delete = ("INSERT INTO kb_search_fts(kb_search_fts, rowid, title, body, kind) "
              "VALUES ('delete', old.id, old.title, old.body, old.kind);")
    insert = ("INSERT INTO kb_search_fts(rowid, title, body, kind) "
              "VALUES (new.id, new.title, new.body, new.kind);")
    op.execute(f"CREATE TRIGGER kb_search_ai AFTER INSERT ON kb_search BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER kb_search_ad AFTER DELETE ON kb_search BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER kb_search_au AFTER UPDATE ON kb_search BEGIN {delete} {insert} END")


def _unaccent_schema(connection: sa.Connection) -> str | None:
    """The schema of the unaccent dictionary, installing the extension if allowed; or None."""
    query = sa.text("SELECT n.nspname FROM pg_ts_dict d JOIN pg_namespace n "
                    "ON n.oid = d.dictnamespace WHERE d.dictname = 'unaccent' LIMIT 1")
    schema = connection.execute(query).scalar()
    if schema is None:
        try:
            with connection.begin_nested():
                connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
        except sa.exc.DBAPIError:  # not available, or not allowed: folded text is enough
            pass
        schema = connection.execute(query).scalar()
    return schema


def _postgresql_full_text() -> None:
    schema = _unaccent_schema(op.get_bind())
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = pg_catalog.french)")
    if schema:
        op.execute(f"ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG} ALTER MAPPING FOR hword, "
                   f"hword_part, word WITH {schema}.unaccent, french_stem")
    op.execute(
        "ALTER TABLE kb_search ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('{TS_CONFIG}', title), 'A') || "
        f"setweight(to_tsvector('{TS_CONFIG}', body), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_kb_search_tsv ON kb_search USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE kb_search_fts")
    for table in ("kb_search_terms", "kb_search", "kb_streets", "kb_facts", "kb_datasets",
                  "kb_documents", "kb_services", "kb_officials", "kb_areas"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TS_CONFIG}")
