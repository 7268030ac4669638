"""The network log refuses UPDATE and DELETE in the database itself (G13b), not only in Python.

A row trigger on the log's table raises unless the transaction has set ``SET LOCAL groupchat.purge = 'on'``, which
only the retention purge does (compliance/services/retention.py). PostgreSQL only; SQLite (embedded mode) keeps the
Python guard of ``LogEntry.save``/``delete``. TRUNCATE fires no row trigger: production's database role should not
own the table (the test suite empties tables with TRUNCATE).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION compliance_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('groupchat.purge', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the network log is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'only the retention purge may delete log records (REGULATION G13b)';
END
$$;
"""


def _table(apps) -> str:
    return apps.get_model("core", "LogEntry")._meta.db_table


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS log_append_only ON {table}")
    schema_editor.execute(f"CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON {table} "
                          "FOR EACH ROW EXECUTE FUNCTION compliance_log_append_only()")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS log_append_only ON {schema_editor.quote_name(_table(apps))}")
    schema_editor.execute("DROP FUNCTION IF EXISTS compliance_log_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
