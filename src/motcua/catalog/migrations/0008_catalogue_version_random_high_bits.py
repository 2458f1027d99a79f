"""PostgreSQL: the catalogue version token gets random high bits besides the sequence number, so
that a database restored from a backup (its sequence set back) cannot hand out a token that a
running process's search index was built at. (SQLite tokens are random already.)"""

from django.db import migrations

BUMP = """CREATE OR REPLACE FUNCTION catalog_catalogueversion_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_catalogueversion (id, token) VALUES (1, {token})
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END $$"""
SEQUENCE = "nextval('catalog_catalogueversion_token_seq')"
RANDOM = f"(({SEQUENCE} & 2147483647) | (floor(random() * 2147483648)::bigint << 31))"


def _run(token):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(BUMP.format(token=token), params=None)
            schema_editor.execute(f"UPDATE catalog_catalogueversion SET token = {token}", params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_catalogue_version_online_services")]

    operations = [migrations.RunPython(_run(RANDOM), _run(SEQUENCE))]
