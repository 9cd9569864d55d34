import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")
# Web processes get the statement and lock timeouts (settings, "Database faults").
os.environ.setdefault("DJANGO_WEB_PROCESS", "1")
application = get_wsgi_application()
