from pathlib import Path

from django.core.management.base import BaseCommand

from ops.backup import backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and media files; keep the newest --keep sets."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default="var/backups", help="where backup sets go (default var/backups)")
        parser.add_argument("--keep", type=int, default=14, help="how many sets to keep (default 14)")

    def handle(self, *args, dir, keep, **options):
        backup = backup_create(directory=Path(dir), keep=keep)
        self.stdout.write(str(backup.database))
        if backup.media:
            self.stdout.write(str(backup.media))
