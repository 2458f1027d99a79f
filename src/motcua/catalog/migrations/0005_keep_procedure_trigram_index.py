"""Keep the trigram index on catalog_procedure.search_text (dropped by 0004): the office's
procedure picker still filters that column with ``LIKE '%…%'``."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS catalog_procedure_search_trgm ON catalog_procedure USING gin (search_text gin_trgm_ops)"


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_entry")]

    operations = [migrations.RunPython(_run(CREATE), migrations.RunPython.noop)]
