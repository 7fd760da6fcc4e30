import django_filters
from django.utils.translation import gettext_lazy as _

from ttms.api.filters import UTCIsoDateTimeFilter

from ..models import Entry, Transaction


class WalletEntryFilter(django_filters.FilterSet):
    """Filters of the wallet history: `?kind=topup&created_after=2025-01-01T00:00:00Z`."""

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
