"""The waiting list's length per class (activities.WaitingList), kept by PostgreSQL statement triggers.

A registration's place in the queue was counted at every registration; in a rush the queue grows with each
request, and so did each request's work (issue 20). The triggers keep the count in the same transaction as
the rows, whoever writes them: one statement trigger per event (transition tables allow one event each),
each adding up, per class, the rows that entered and left `waitlisted`. A statement that changes no waiting
row touches no counter row (no lock taken). TRUNCATE (the test runner's flush) empties both tables alike.
SQLite: no triggers; the rows stay empty and the waiting list is counted there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION activities_waiting_list_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO activities_waitinglist AS w (course_id, waiting)
        SELECT course_id, count(*) FROM new_rows WHERE status = 'waitlisted' GROUP BY course_id
        ON CONFLICT (course_id) DO UPDATE SET waiting = w.waiting + EXCLUDED.waiting;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE activities_waitinglist AS w SET waiting = w.waiting - d.n
        FROM (SELECT course_id, count(*) AS n FROM old_rows WHERE status = 'waitlisted' GROUP BY course_id) d
        WHERE w.course_id = d.course_id;
    ELSE
        INSERT INTO activities_waitinglist AS w (course_id, waiting)
        SELECT course_id, sum(n) FROM (
            SELECT course_id, 1 AS n FROM new_rows WHERE status = 'waitlisted'
            UNION ALL
            SELECT course_id, -1 FROM old_rows WHERE status = 'waitlisted'
        ) moved
        GROUP BY course_id HAVING sum(n) <> 0
        ON CONFLICT (course_id) DO UPDATE SET waiting = w.waiting + EXCLUDED.waiting;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER activities_waiting_list_insert AFTER INSERT ON activities_registration
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activities_waiting_list_count();
CREATE TRIGGER activities_waiting_list_update AFTER UPDATE ON activities_registration
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activities_waiting_list_count();
CREATE TRIGGER activities_waiting_list_delete AFTER DELETE ON activities_registration
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activities_waiting_list_count();

-- The rows already waiting (the triggers above hold the table's lock until this migration commits).
INSERT INTO activities_waitinglist (course_id, waiting)
SELECT course_id, count(*) FROM activities_registration WHERE status = 'waitlisted' GROUP BY course_id;
"""

PG_BACKWARD = r"""
DROP TRIGGER IF EXISTS activities_waiting_list_insert ON activities_registration;
DROP TRIGGER IF EXISTS activities_waiting_list_update ON activities_registration;
DROP TRIGGER IF EXISTS activities_waiting_list_delete ON activities_registration;
DROP FUNCTION IF EXISTS activities_waiting_list_count();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0013_course_template_updated_by"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WaitingList",
            fields=[
                (
                    "course",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="activities.course",
                        verbose_name="class",
                    ),
                ),
                ("waiting", models.IntegerField(default=0, verbose_name="waiting")),
            ],
            options={
                "verbose_name": "waiting list length",
                "verbose_name_plural": "waiting list lengths",
            },
        ),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("status", "waitlisted")),
                fields=["course", "created", "id"],
                name="registration_waiting_idx",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
