"""Two holding bookings of one venue never overlap: a PostgreSQL exclusion constraint.

Kept out of the model state on purpose: SQLite has no exclusion constraints, and there the booking
service checks the same rule while it holds SQLite's single write lock.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlap"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE venues_booking ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(venue_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status <> 'cancelled')"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE venues_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
