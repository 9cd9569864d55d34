import json

from django.core.management.base import BaseCommand

from ops.backup import fingerprint


class Command(BaseCommand):
    help = "Print row counts and checksums of the key tables as JSON (compare a restore with its source)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(fingerprint(), indent=1, sort_keys=True))
