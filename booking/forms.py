"""Forms of the passenger pages: search, the passengers of a booking, the PNR status check."""

import re
from collections.abc import Mapping
from decimal import Decimal

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from fleet.models import Station
from fleet.selectors import station_get_by_code, station_lookup, trip_search_refusal

from . import rules
from .models import BOOKABLE_QUOTA_CHOICES, BOOKABLE_QUOTAS, BerthPreference, Gender, Quota

# "NEW DELHI (NDLS)": what the station suggestions fill in.
_CODE_IN_PARENS = re.compile(r"\(([^()]+)\)\s*$")


def station_label(station: Station) -> str:
    return f"{station.name} ({station.code})"


def station_resolve(text: str) -> Station:
    """The station a passenger means by `text`: a code, "NAME (CODE)" as suggested, or a
    name or alias that only one station answers to. Raises forms.ValidationError naming
    the candidates when the text is ambiguous or matches nothing."""
    text = (text or "").strip()
    if found := _CODE_IN_PARENS.search(text):
        text = found.group(1)
    try:
        return station_get_by_code(text)
    except Station.DoesNotExist:
        pass
    matches = station_lookup(query=text, limit=6)
    if len(matches) == 1 and matches[0].match != "fuzzy":
        return matches[0].station
    if not matches:
        raise forms.ValidationError(
            gettext(
                "No station is called {text!r}. Type a station's name or its code, e.g. NDLS."
            ).format(text=text)
        )
    names = ", ".join(station_label(m.station) for m in matches[:5])
    if matches[0].match == "fuzzy":
        message = gettext("Did you mean {names}? Type the code of the one you mean.")
    else:
        message = gettext("Several stations match: {names}? Type the code of the one you mean.")
    raise forms.ValidationError(message.format(names=names))


class StationInput(forms.TextInput):
    """A text box that suggests stations as one types (htmx fills its datalist); without
    JavaScript the typed name or code is resolved when the form is sent."""

    def __init__(self, list_id: str):
        super().__init__(
            attrs={
                "list": list_id,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": gettext_lazy("Station name or code"),
                "hx-get": reverse_lazy("booking:station-suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": f"#{list_id}",
                "hx-swap": "innerHTML",
            }
        )


class SearchForm(forms.Form):
    # "from" is a Python keyword: the fields are declared through the class namespace.
    vars()["from"] = forms.CharField(
        label=gettext_lazy("From"), max_length=150, widget=StationInput("from-stations")
    )
    vars()["to"] = forms.CharField(
        label=gettext_lazy("To"), max_length=150, widget=StationInput("to-stations")
    )
    date = forms.DateField(
        label=gettext_lazy("Date of journey"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_from(self) -> Station:
        return station_resolve(self.cleaned_data["from"])

    def clean_to(self) -> Station:
        return station_resolve(self.cleaned_data["to"])

    def clean(self):
        """The stations as trip search takes them (`trip_search_refusal`), and a date on
        sale at the origin (`rules.search_dates`, in the origin's zone; unchecked while the
        origin is unknown, which is an error of its own)."""
        data = super().clean()
        origin, destination, day = data.get("from"), data.get("to"), data.get("date")
        refusal = (
            trip_search_refusal(origin=origin, destination=destination)
            if origin and destination
            else None
        )
        if refusal:
            self.add_error("to", refusal)
        if origin and day:
            first, last = rules.search_dates(now=timezone.now(), tz=origin.tzinfo)
            if day < first:
                self.add_error("date", gettext("Choose today or a later date."))
            elif day > last:
                self.add_error(
                    "date",
                    gettext(
                        "Trips are sold at most {days} days ahead: choose a date up to {last}."
                    ).format(days=rules.SEARCH_HORIZON_DAYS, last=f"{last:%d %b %Y}"),
                )
        return data


def _multiplier(bp: int) -> str:
    """13000 -> "1.3": a multiplier in basis points, as people write it."""
    return str((Decimal(bp) / 10_000).normalize())


def quota_rules(*, multipliers_bp: Mapping[str, int]) -> dict[str, str]:
    """What each bookable quota asks and gives, as the booking form explains it: written
    from the rules' own constants (`booking.rules`) and the fare multipliers of the trip's
    class (`multipliers_bp`, quota -> basis points; a quota missing from it costs the
    General fare), so that the text cannot drift from what the booking applies."""
    sale = gettext("bookable up to {days} days ahead").format(days=rules.BOOKING_HORIZON_DAYS)
    clauses = {
        Quota.GENERAL: [gettext("Open to everyone"), sale],
        Quota.LADIES: [
            gettext("Women travelling alone or with other women: every passenger must be female"),
            sale,
        ],
        Quota.SENIOR: [
            gettext(
                "At most {count} passengers, all senior citizens (women {women} and over, "
                "men {men} and over)"
            ).format(
                count=rules.MAX_SENIOR_PASSENGERS,
                women=rules.SENIOR_AGE_WOMEN,
                men=rules.SENIOR_AGE_OTHERS,
            ),
            gettext("lower berths first"),
            sale,
        ],
        Quota.TATKAL: [
            gettext(
                "Opens the day before the journey at {ac} for AC classes and {other} for the others"
            ).format(
                ac=f"{rules.TATKAL_OPENS_AC:%H:%M}", other=f"{rules.TATKAL_OPENS_OTHER:%H:%M}"
            ),
            gettext("at most {count} passengers").format(count=rules.max_passengers(Quota.TATKAL)),
        ],
        Quota.FOREIGN_TOURIST: [
            gettext("Visitors from abroad: each passenger's passport number and country"),
            gettext("bookable up to {days} days ahead").format(
                days=rules.FOREIGN_TOURIST_HORIZON_DAYS
            ),
        ],
    }
    texts = {}
    for quota in BOOKABLE_QUOTAS:
        parts = list(clauses[quota])
        bp = int(multipliers_bp.get(quota, 10_000))
        if bp != 10_000:
            parts.append(gettext("fare ×{multiplier}").format(multiplier=_multiplier(bp)))
        if quota == Quota.TATKAL:
            parts.append(gettext("a confirmed Tatkal ticket is not refunded"))
        texts[quota] = "; ".join(parts) + "."
    return texts


def passengers_limits(*, limit: int = rules.MAX_PASSENGERS, tatkal: bool = True) -> str:
    """ "Up to 6 passengers (4 for Tatkal).": the passenger limits, from the rules and the
    operator's (`limit`; Tatkal named only where it is sold)."""
    limit = min(limit, rules.MAX_PASSENGERS)
    tatkal_limit = min(limit, rules.max_passengers(Quota.TATKAL))
    if tatkal and tatkal_limit < limit:
        return gettext("Up to {count} passengers ({tatkal} for Tatkal).").format(
            count=limit, tatkal=tatkal_limit
        )
    return ngettext("Up to {count} passenger.", "Up to {count} passengers.", limit).format(
        count=limit
    )


class BookingOptionsForm(forms.Form):
    """The quota (among those the operator sells, `quotas`) and the all-or-nothing wish."""

    quota = forms.ChoiceField(
        choices=BOOKABLE_QUOTA_CHOICES, initial=Quota.GENERAL, widget=forms.RadioSelect
    )
    only_if_all_confirmed = forms.BooleanField(
        required=False, label=gettext_lazy("Book only if every passenger gets a confirmed berth")
    )

    def __init__(self, *args, quotas=None, **kwargs):
        super().__init__(*args, **kwargs)
        if quotas is not None:
            self.fields["quota"].choices = [c for c in BOOKABLE_QUOTA_CHOICES if c[0] in quotas]


SLEEPER_PREFERENCES = (
    BerthPreference.NONE,
    BerthPreference.LOWER,
    BerthPreference.MIDDLE,
    BerthPreference.UPPER,
    BerthPreference.SIDE_LOWER,
    BerthPreference.SIDE_UPPER,
)
SEAT_PREFERENCES = (BerthPreference.NONE, BerthPreference.WINDOW, BerthPreference.AISLE)


class PassengerForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    age = forms.IntegerField(
        label=gettext_lazy("Age"),
        min_value=0,
        max_value=125,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"), choices=[("", gettext_lazy("Choose…")), *Gender.choices]
    )
    berth_preference = forms.ChoiceField(
        label=gettext_lazy("Berth preference"), choices=BerthPreference.choices, required=False
    )
    passport = forms.CharField(
        label=gettext_lazy("Passport number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Foreign tourists only."),
    )
    nationality = forms.CharField(
        label=gettext_lazy("Country"),
        max_length=3,
        required=False,
        help_text=gettext_lazy("Its code on the passport: GB or GBR."),
        widget=forms.TextInput(attrs={"size": 3}),
    )
    seat = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sleeper: bool | None = None, **kwargs):
        """`sleeper`: the class has berths (lower, middle, upper, side) to prefer; else
        seats (window, aisle); None offers every preference."""
        super().__init__(*args, **kwargs)
        if sleeper is not None:
            field = self.fields["berth_preference"]
            wanted = SLEEPER_PREFERENCES if sleeper else SEAT_PREFERENCES
            field.choices = [(p.value, p.label) for p in wanted]
            if not sleeper:
                field.label = gettext_lazy("Seat preference")

    def clean_nationality(self) -> str:
        try:
            return rules.country_code(self.cleaned_data["nationality"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_seat(self) -> str:
        value = self.cleaned_data["seat"].strip()
        seat_parse(value)
        return value


def seat_parse(value: str) -> tuple[str, str] | None:
    """ "S1-12" -> ("S1", "12"): the coach and seat a seat map's checkbox names."""
    coach, sep, number = (value or "").strip().rpartition("-")
    if not value:
        return None
    if not (sep and coach and number):
        raise forms.ValidationError(
            gettext("{value!r} is not a seat of this trip.").format(value=value)
        )
    return coach, number


PassengerFormSet = forms.formset_factory(
    PassengerForm,
    extra=0,
    min_num=1,
    max_num=rules.MAX_PASSENGERS,
    validate_min=True,
    validate_max=True,
    absolute_max=rules.MAX_PASSENGERS,
)


class PnrLookupForm(forms.Form):
    # No length limits here: a malformed value gets the one answer every miss gets
    # (`selectors.pnr_get_for_contact`), not an error of its own.
    pnr = forms.CharField(
        label=gettext_lazy("PNR number"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=gettext_lazy("The 10 digits on your ticket."),
    )
    contact = forms.CharField(
        label=gettext_lazy("Email or phone used for the booking"),
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
        help_text=gettext_lazy("A phone as you gave it, e.g. 98765 43210."),
    )
