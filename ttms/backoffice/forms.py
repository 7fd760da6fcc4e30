"""The dashboards' filters: a date range, and a route or a company within what the user sees."""

from datetime import date, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fleet.models import Company, Route

# The longest range a dashboard sums over (a leap year).
MAX_RANGE_DAYS = 366
# Days a dashboard can be asked about (far enough either way; beyond them a local day's bounds
# in UTC would leave the calendar datetime can hold).
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)
# The default range: the last 30 days, today included.
DEFAULT_RANGE_DAYS = 30


class DashboardFilter(forms.Form):
    """start..end (inclusive local days, default the last 30 days to `today`), and optionally
    one company of `companies` and one route of theirs. A company or route the user may not
    see is an invalid choice, as is a range that ends before it starts or spans more than
    MAX_RANGE_DAYS days."""

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
    company = forms.ModelChoiceField(
        label=_("Company"), queryset=Company.objects.none(), required=False
    )
    route = forms.ModelChoiceField(label=_("Route"), queryset=Route.objects.none(), required=False)

    def __init__(self, data, *, companies: QuerySet[Company], today: date, with_route: bool):
        super().__init__(data)
        self.today = today
        self.fields["company"].queryset = companies.order_by("name")
        if with_route:
            self.fields["route"].queryset = (
                Route.objects.filter(company__in=companies)
                .select_related("company")
                .order_by("company__name", "number", "pk")
            )
        else:
            del self.fields["route"]
        if companies.count() < 2:
            del self.fields["company"]
        for name in ("start", "end"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})

    def clean(self):
        cleaned = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or end
        if start < EARLIEST or end < EARLIEST or end > LATEST:
            raise forms.ValidationError(
                gettext("Choose days between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
            )
        if not cleaned.get("start"):
            start = max(EARLIEST, end - timedelta(days=DEFAULT_RANGE_DAYS - 1))
        if end < start:
            raise forms.ValidationError(gettext("The range ends before it starts."))
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                gettext("Choose a range of at most %(days)d days.") % {"days": MAX_RANGE_DAYS}
            )
        company = cleaned.get("company")
        route = cleaned.get("route")
        if company is not None and route is not None and route.company_id != company.pk:
            self.add_error("route", gettext("This route is not the chosen company's."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


class AnalystForm(forms.Form):
    """The analyst's question."""

    q = forms.CharField(
        label=_("Question"),
        max_length=300,
        widget=forms.TextInput(attrs={"size": 60, "autofocus": True}),
    )


class SqlForm(forms.Form):
    """A platform admin's SELECT; the guard, not the form, judges it."""

    sql = forms.CharField(
        label=_("SQL"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "spellcheck": "false"}),
    )


class SqlQuestionForm(forms.Form):
    """A question in English for the language model to write as a SELECT."""

    question = forms.CharField(
        label=_("Ask in English"),
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
    )
