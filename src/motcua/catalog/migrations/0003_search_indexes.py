"""Search indexes: pg_trgm GIN index on PostgreSQL, an FTS5 table kept in sync by triggers on SQLite.

Each operation is a no-op on the other database, so the migration runs everywhere.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FTS_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_procedure_fts USING fts5("
    "search_text, content='catalog_procedure', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS catalog_procedure_fts_ai AFTER INSERT ON catalog_procedure BEGIN "
    "INSERT INTO catalog_procedure_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS catalog_procedure_fts_ad AFTER DELETE ON catalog_procedure BEGIN "
    "INSERT INTO catalog_procedure_fts(catalog_procedure_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS catalog_procedure_fts_au AFTER UPDATE OF search_text ON catalog_procedure BEGIN "
    "INSERT INTO catalog_procedure_fts(catalog_procedure_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO catalog_procedure_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO catalog_procedure_fts(catalog_procedure_fts) VALUES ('rebuild')",
]
FTS_DROP = [
    "DROP TRIGGER IF EXISTS catalog_procedure_fts_ai",
    "DROP TRIGGER IF EXISTS catalog_procedure_fts_ad",
    "DROP TRIGGER IF EXISTS catalog_procedure_fts_au",
    "DROP TABLE IF EXISTS catalog_procedure_fts",
]
PG_CREATE = [
    "CREATE INDEX IF NOT EXISTS catalog_procedure_search_trgm ON catalog_procedure USING gin (search_text gin_trgm_ops)",
]
PG_DROP = ["DROP INDEX IF EXISTS catalog_procedure_search_trgm"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_and_raw_fields")]

    operations = [
        TrigramExtension(),  # skipped by Django on databases other than PostgreSQL
        migrations.RunPython(
            _run({"sqlite": FTS_CREATE, "postgresql": PG_CREATE}),
            _run({"sqlite": FTS_DROP, "postgresql": PG_DROP}),
        ),
    ]
