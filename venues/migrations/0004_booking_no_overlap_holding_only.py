"""A declined booking frees its room on PostgreSQL too: the exclusion constraint covers the holding
statuses only (`venues.enums.HOLDING_STATUSES`: pending and confirmed).

0002 left out only cancelled bookings, so after the owner declined a booking (0003 added that status) the
service found the hour free but the database still refused a new booking for it.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlap"
CREATE = (
    f"ALTER TABLE venues_booking ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
    "(venue_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    "WHERE (status {where})"
)


def _replace(schema_editor, where):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE venues_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
    schema_editor.execute(CREATE.format(where=where))


def forwards(apps, schema_editor):
    _replace(schema_editor, "IN ('pending', 'confirmed')")


def backwards(apps, schema_editor):
    _replace(schema_editor, "<> 'cancelled'")


class Migration(migrations.Migration):
    dependencies = [("venues", "0003_venue_managers_and_owner_answers")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
