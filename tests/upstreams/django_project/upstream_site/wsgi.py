"""The WSGI application, for a WSGI server other than `runserver`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstream_site.settings")

application = get_wsgi_application()
