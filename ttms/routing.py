from tracking.routing import websocket_urlpatterns as tracking_patterns

websocket_urlpatterns = [*tracking_patterns]
