"""The catalogue version also changes on every write to ``catalog_onlineservice``: search results
show whether a procedure has an online service, from the in-memory index (see 0006)."""

from django.db import migrations

PG_CREATE = [
    "CREATE TRIGGER catalog_catalogueversion_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_onlineservice "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalog_catalogueversion_bump()",
    "UPDATE catalog_catalogueversion SET token = nextval('catalog_catalogueversion_token_seq')",
]
PG_DROP = ["DROP TRIGGER IF EXISTS catalog_catalogueversion_bump ON catalog_onlineservice"]
_BUMP = "INSERT OR REPLACE INTO catalog_catalogueversion (id, token) VALUES (1, random()); END"
SQLITE_CREATE = [
    *(
        f"CREATE TRIGGER catalog_catalogueversion_onlineservice_{op[0].lower()} AFTER {op} ON catalog_onlineservice BEGIN {_BUMP}"
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
    "UPDATE catalog_catalogueversion SET token = random()",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS catalog_catalogueversion_onlineservice_{op}" for op in ("i", "u", "d")]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_catalogue_version")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}),
            _run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
