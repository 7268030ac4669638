"""The network log partitioned by month (G13b): the retention purge drops whole months instead of deleting rows.

PostgreSQL only (SQLite, the embedded mode, keeps a plain table and row deletes). ``core_logentry`` becomes a table
partitioned BY RANGE (created_at) with one partition per month (compliance/services/partitions.py) and a DEFAULT
partition. Existing rows are copied into it and the old table dropped; nothing is updated or deleted row by row.
The primary key has to include the partition key, (id, created_at); Django's state is unchanged (``id`` is still the
model's primary key and stays unique: every partition draws it from the one sequence, OWNED BY the table's id).
Every index the model declares is made again under its name as a partitioned index, and the append-only trigger of
migration 0002 goes on the partitioned table, which gives it to every partition. Writers wait while it runs (the old
table is locked): run it in a maintenance window on a large log. Reversible: the reverse copies the rows back into
a plain table.
"""

from django.db import migrations, models
from django.utils import timezone

TRIGGER = ("CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON {table} "
           "FOR EACH ROW EXECUTE FUNCTION compliance_log_append_only()")


def _table(apps) -> str:
    return apps.get_model("core", "LogEntry")._meta.db_table


def _shape(cursor, table: str) -> tuple[str, list[str], str]:
    """The primary key's name, every other index's definition and the id sequence of ``table``."""
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [table])
    pkey = cursor.fetchone()[0]
    cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                   "AND indexname <> %s ORDER BY indexname", [table, pkey])
    indexes = [definition for (definition,) in cursor.fetchall()]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return pkey, indexes, cursor.fetchone()[0]


def _finish(cursor, table: str, pkey: str, key: str, indexes: list[str]) -> None:
    # Built after the rows are in: one sort per index instead of maintaining them row by row.
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {pkey} PRIMARY KEY ({key})")
    for definition in indexes:
        cursor.execute(definition)
    cursor.execute(TRIGGER.format(table=table))


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from compliance import conf
    from compliance.log_months import DEFAULT, month_add, month_floor
    from compliance.services.partitions import month_create

    table, old = _table(apps), f"{_table(apps)}_unpartitioned"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        pkey, indexes, sequence = _shape(cursor, table)
        cursor.execute("SELECT attidentity FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'id'", [table])
        identity = cursor.fetchone()[0] != ""
        cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
        if identity:  # as Django makes it: an identity column's sequence cannot serve another table, so one that can
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cursor.fetchone()
            cursor.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP IDENTITY")  # drops its own sequence
            sequence = f"{table}_id_seq"
            cursor.execute(f"CREATE SEQUENCE {sequence} AS bigint")
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
        cursor.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE) "
                       "PARTITION BY RANGE (created_at)")
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{sequence}')")
        cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
        cursor.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {table} DEFAULT")
        cursor.execute(f"SELECT DISTINCT date_trunc('month', created_at, 'UTC') FROM {old}")
        now = month_floor(timezone.now())
        months = {month_floor(m) for (m,) in cursor.fetchall()} | {month_add(now, n)
                                                                   for n in range(conf.PARTITIONS_AHEAD + 1)}
        for month in sorted(months):
            month_create(cursor, month)
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        cursor.execute(f"DROP TABLE {old}")
        _finish(cursor, table, pkey, "id, created_at", indexes)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table, parted = _table(apps), f"{_table(apps)}_partitioned"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        pkey, indexes, sequence = _shape(cursor, table)
        cursor.execute(f"ALTER TABLE {table} RENAME TO {parted}")
        cursor.execute(f"CREATE TABLE {table} (LIKE {parted} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                       "INCLUDING STORAGE)")
        cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")  # before the old table's drop takes it along
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {parted}")
        cursor.execute(f"DROP TABLE {parted}")  # with its partitions
        _finish(cursor, table, pkey, "id", indexes)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_bilingual_names"),
        ("core", "0003_log_destination"),
    ]

    operations = [
        migrations.AddField(
            model_name="retentionrun",
            name="partitions_dropped",
            field=models.JSONField(default=list, blank=True, verbose_name="丢弃的月分区 / month partitions dropped"),
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
