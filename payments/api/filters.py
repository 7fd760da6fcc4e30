import django_filters
from django.utils.translation import gettext_lazy as _

from ttms import money
from ttms.api.filters import UTCIsoDateTimeFilter

from ..exceptions import UnknownCurrency
from ..models import Entry, Transaction


class WalletEntryFilter(django_filters.FilterSet):
    """Filters of the wallet history:
    `?currency=RWF&kind=topup&created_after=2025-01-01T00:00:00Z`."""

    currency = django_filters.CharFilter(
        method="filter_currency",
        help_text=_("Only the wallet in this currency (ISO 4217, e.g. RWF)."),
    )

    kind = django_filters.ChoiceFilter(
        field_name="transaction__kind", choices=Transaction.Kind.choices
    )
    direction = django_filters.ChoiceFilter(
        choices=[("credit", _("Money in")), ("debit", _("Money out"))], method="filter_direction"
    )
    reference_type = django_filters.CharFilter(field_name="transaction__reference_type")
    reference_id = django_filters.CharFilter(field_name="transaction__reference_id")
    created_after = UTCIsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="lt")

    class Meta:
        model = Entry
        fields = []

    def filter_direction(self, queryset, name, value):
        return queryset.filter(amount__gt=0) if value == "credit" else queryset.filter(amount__lt=0)

    def filter_currency(self, queryset, name, value):
        if not money.is_known_currency(value):
            message = _("%(currency)s is not a currency code (ISO 4217, e.g. INR or RWF).") % {
                "currency": repr(value)[:20]
            }
            raise UnknownCurrency(str(message), fields={"currency": [str(message)]})
        return queryset.filter(account__currency=value)
