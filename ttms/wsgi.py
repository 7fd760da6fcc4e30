"""WSGI application: gunicorn serves pages and the API with it in production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttms.settings")

application = get_wsgi_application()

from ttms.startup import require_secret_key  # noqa: E402

require_secret_key()
