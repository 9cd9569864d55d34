"""`manage.py demo_logins`: print the demo accounts, one per role (`make run` shows them)."""

from django.core.management.base import BaseCommand

from demo.seed import demo_logins, format_logins


class Command(BaseCommand):
    help = "Print the demo login of each role (phone and password) that `seed_demo` created in this database."

    def handle(self, *args, **options):
        self.stdout.write("Demo logins (password for all: demo12345):\n" + format_logins(demo_logins()))
