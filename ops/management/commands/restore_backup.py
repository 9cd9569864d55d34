from pathlib import Path

from django.core.management.base import BaseCommand

from ops.backup import backup_restore


class Command(BaseCommand):
    help = "Restore a pg_dump custom-format backup into a NEW database on the same server (never over the live one)."

    def add_arguments(self, parser):
        parser.add_argument("dump", help="a db-<stamp>.dump file made by `backup`")
        parser.add_argument("database", help="the name of the database to create and restore into")

    def handle(self, *args, dump, database, **options):
        backup_restore(dump=Path(dump), database=database)
        self.stdout.write(f"restored {dump} into {database}")
