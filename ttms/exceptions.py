"""Domain errors: raised by services, shown to users in the API's one error shape."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the operation; nothing was written.

    Subclasses set `code` (stable, for clients), `status_code` and a default message a user
    can read.
    """

    code = "domain_error"
    status_code = 409
    default_message = _("The operation is not allowed.")

    def __init__(
        self, message: str | None = None, *, code: str | None = None, fields: dict | None = None
    ) -> None:
        self.message = message or str(self.default_message)
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.message)
