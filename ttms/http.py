"""Helpers the pages share."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str:
    """The `next` address the request carries (form or query) if it stays on this site,
    else "": where a page may send the user back to without becoming an open redirect."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""
