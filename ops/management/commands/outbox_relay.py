from django.core.management.base import BaseCommand

from ops.outbox import relay


class Command(BaseCommand):
    help = "Publish what the transactional outbox holds now (beat does this every OUTBOX_RELAY_SECONDS)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="also messages younger than OUTBOX_GRACE_SECONDS")

    def handle(self, *args, all, **options):
        from datetime import timedelta

        sent = relay(grace=timedelta(0) if all else None)
        self.stdout.write(f"published {sent}")
