"""The site's URLs plus views that fail, for the error page tests (ROOT_URLCONF)."""

from django.http import Http404
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from ttms.urls import handler400, handler404, handler500
from ttms.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]


def page_that_fails(request):
    raise RuntimeError("a bug in a page")


def page_of_nothing(request):
    raise Http404("no such trip")


class ApiThatFails(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug in the API")


urlpatterns = [
    path("fails/", page_that_fails),
    path("nothing/", page_of_nothing),
    path("api/v1/fails/", ApiThatFails.as_view()),
    *site_urlpatterns,
]
