#!/bin/sh
# The optional hot standby (docker compose --profile scale): copies the primary once, then replays it.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres -U "$POSTGRES_USER"; do sleep 1; done
  PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup -h postgres -U "$POSTGRES_USER" -D "$PGDATA" -X stream -R -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
