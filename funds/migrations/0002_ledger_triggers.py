"""What the database itself holds of the ledger's rules, beyond the check constraints of 0001.

PostgreSQL (after django-hordak's check_leg trigger):
- a CONSTRAINT TRIGGER, DEFERRABLE INITIALLY DEFERRED, on every inserted entry and posting: at COMMIT the
  posting must have at least two entries, all in its own college, summing to zero. Entries can therefore be
  inserted one by one inside a transaction; an unbalanced posting fails the whole COMMIT.
- BEFORE UPDATE OR DELETE triggers on postings and entries: posted rows never change (TRUNCATE, which the
  test runner's flush uses, fires no row triggers).

SQLite: a trigger refuses UPDATE of postings and entries; the balance is checked by the service
(`funds.services.posting_create`) inside the same transaction, before it commits. DELETE is refused by the
models (a test database flush must still be able to empty the tables).
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION funds_check_posting_balanced(pid bigint) RETURNS void AS $$
DECLARE
    legs integer;
    total numeric;
    strangers integer;
BEGIN
    SELECT count(*), coalesce(sum(e.amount), 0),
           count(*) FILTER (WHERE a.college_id <> p.college_id OR e.currency <> 'CNY')
      INTO legs, total, strangers
      FROM funds_posting p
      LEFT JOIN funds_entry e ON e.posting_id = p.id
      LEFT JOIN funds_account a ON a.id = e.account_id
     WHERE p.id = pid;
    IF legs < 2 THEN
        RAISE EXCEPTION 'funds: posting % has % entries; a posting needs at least two', pid, legs
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF total <> 0 THEN
        RAISE EXCEPTION 'funds: posting % is not balanced (entries sum to %)', pid, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF strangers > 0 THEN
        RAISE EXCEPTION 'funds: posting % has entries outside its college or in another currency', pid
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION funds_entry_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM funds_check_posting_balanced(NEW.posting_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION funds_posting_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM funds_check_posting_balanced(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER funds_entry_balanced_at_commit
    AFTER INSERT ON funds_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION funds_entry_balanced();

CREATE CONSTRAINT TRIGGER funds_posting_balanced_at_commit
    AFTER INSERT ON funds_posting DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION funds_posting_balanced();

CREATE OR REPLACE FUNCTION funds_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'funds: % rows are append-only (% refused); post a reversal instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER funds_posting_append_only BEFORE UPDATE OR DELETE ON funds_posting
    FOR EACH ROW EXECUTE FUNCTION funds_append_only();
CREATE TRIGGER funds_entry_append_only BEFORE UPDATE OR DELETE ON funds_entry
    FOR EACH ROW EXECUTE FUNCTION funds_append_only();
"""

PG_BACKWARD = r"""
DROP TRIGGER IF EXISTS funds_entry_append_only ON funds_entry;
DROP TRIGGER IF EXISTS funds_posting_append_only ON funds_posting;
DROP TRIGGER IF EXISTS funds_posting_balanced_at_commit ON funds_posting;
DROP TRIGGER IF EXISTS funds_entry_balanced_at_commit ON funds_entry;
DROP FUNCTION IF EXISTS funds_append_only();
DROP FUNCTION IF EXISTS funds_posting_balanced();
DROP FUNCTION IF EXISTS funds_entry_balanced();
DROP FUNCTION IF EXISTS funds_check_posting_balanced(bigint);
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER funds_posting_append_only BEFORE UPDATE ON funds_posting
       BEGIN SELECT RAISE(ABORT, 'funds: postings are append-only; post a reversal instead'); END""",
    """CREATE TRIGGER funds_entry_append_only BEFORE UPDATE ON funds_entry
       BEGIN SELECT RAISE(ABORT, 'funds: entries are append-only; post a reversal instead'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS funds_posting_append_only",
    "DROP TRIGGER IF EXISTS funds_entry_append_only",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
