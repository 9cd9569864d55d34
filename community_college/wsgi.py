import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")
# Web processes get the statement and lock timeouts (settings, "Database faults").
os.environ.setdefault("DJANGO_WEB_PROCESS", "1")

from community_college.handlers import get_application  # noqa: E402 — the settings module must be chosen first

# Pages and /api/ each through their own middleware chain (community_college/handlers.py).
application = get_application()
