"""A smoke test against whatever database the settings name (the restore drill runs it on a restored copy)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Request the main pages and API lists as a seeded resident and staff member; fail on any non-2xx."

    def handle(self, *args, **options):
        User = get_user_model()  # ops knows no domain app, not even accounts
        resident = User.objects.filter(is_active=True, is_staff=False, profile__isnull=False).first()
        staff = User.objects.filter(is_active=True, is_staff=True).first()
        if resident is None or staff is None:
            raise CommandError("no seeded resident or staff member in this database")
        checks = [
            (None, "/healthz"),
            (None, "/"),
            (None, "/readyz"),
            (resident, "/classes/"),
            (resident, "/api/v1/registrations/"),
            (resident, "/api/v1/orders/"),
            (staff, "/admin/"),
            (staff, "/dashboards/"),
        ]
        failures = []
        with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
            for user, path in checks:
                client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
                if user is not None:
                    client.force_login(user)
                status = client.get(path, follow=True).status_code
                self.stdout.write(f"{status} {path}")
                if status >= 300:
                    failures.append(f"{path}: {status}")
        if failures:
            raise CommandError("smoke test failed: " + ", ".join(failures))
