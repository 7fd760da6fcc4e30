"""Filters shared by the API's lists."""

from datetime import UTC, datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, turned into UTC before it reaches a query: an offset the
    database refuses (PostgreSQL takes at most ±15:59) or a moment past the calendar's
    ends (0001-01-01 at +18:59) is a 400 at the field instead of a 500."""

    default_error_messages = {
        "out_of_range": _("Give a moment between 1900 and 2999, e.g. 2026-12-03T10:00:00Z."),
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            utc = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None
        if not EARLIEST <= utc < LATEST:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return utc


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField
