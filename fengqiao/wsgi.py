"""WSGI entry point for the production server (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")

application = get_wsgi_application()

from fengqiao.core.checks import development_keys_in_use  # noqa: E402
from fengqiao.environment import env_bool  # noqa: E402

# A served site with the public development keys would encrypt residents' ID numbers with a
# key anyone can read. Refuse to start unless explicitly told this is a throwaway instance.
if development_keys_in_use() and not env_bool("ALLOW_DEVELOPMENT_KEYS", False):
    raise RuntimeError(
        "Refusing to serve with the public development keys: set FENGQIAO_SECRET_KEY, "
        "FENGQIAO_FIELD_KEYS and FENGQIAO_LOOKUP_KEY (see docs/configuration.md)."
    )
