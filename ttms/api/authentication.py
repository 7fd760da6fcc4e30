"""The API's authentication: Simple JWT's, then the user's own language.

A token's user is known only once DRF authenticates the request, after every middleware
has run, so `ttms.middleware.UserLanguageMiddleware` cannot see it: the language is
activated here instead, as the middleware does for a session's user (DRF's
SessionAuthentication reads the user the middleware already saw).
"""

from rest_framework_simplejwt import authentication

from ttms.languages import user_language_activate


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user_language_activate(request._request, result[0])
        return result
