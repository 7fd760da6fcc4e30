"""ASGI application: HTTP and WebSockets.

`make run` serves everything from this one process; in production the ASGI server takes only
`/ws/` and gunicorn serves HTTP (see docs/operations.md).
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttms.settings")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from tracking.services.simulation import simulation_lifespan  # noqa: E402
from ttms.channels_auth import TokenOrSessionAuthMiddleware  # noqa: E402
from ttms.routing import websocket_urlpatterns  # noqa: E402
from ttms.startup import require_secret_key  # noqa: E402

require_secret_key()

application = ProtocolTypeRouter(
    {
        # Startup and shutdown: runs the simulator in this process when TTMS_SIMULATOR is on.
        "lifespan": simulation_lifespan,
        "http": django_asgi_app,
        "websocket": AuthMiddlewareStack(
            TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)

# What the process has loaded so far lives as long as it does: kept out of the cyclic
# collector's full passes, which would otherwise walk it all and pause every socket.
gc.freeze()
