"""Forms of the passenger pages: search, and the passengers of a booking."""

import re
from datetime import timedelta

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from fleet.models import Station
from fleet.selectors import station_get_by_code, station_lookup

from . import rules
from .models import BOOKABLE_QUOTA_CHOICES, BerthPreference, Gender, Quota

# "NEW DELHI (NDLS)": what the station suggestions fill in.
_CODE_IN_PARENS = re.compile(r"\(([^()]+)\)\s*$")
SEARCH_DAYS_AHEAD = 366


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
            f"No station is called {text!r}. Type a station's name or its code, e.g. NDLS."
        )
    names = ", ".join(station_label(m.station) for m in matches[:5])
    verb = "Did you mean" if matches[0].match == "fuzzy" else "Several stations match:"
    raise forms.ValidationError(f"{verb} {names}? Type the code of the one you mean.")


class StationInput(forms.TextInput):
    """A text box that suggests stations as one types (htmx fills its datalist); without
    JavaScript the typed name or code is resolved when the form is sent."""

    def __init__(self, list_id: str):
        super().__init__(
            attrs={
                "list": list_id,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "Station name or code",
                "hx-get": reverse_lazy("booking:station-suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": f"#{list_id}",
                "hx-swap": "innerHTML",
            }
        )


class SearchForm(forms.Form):
    # "from" is a Python keyword: the fields are declared through the class namespace.
    vars()["from"] = forms.CharField(
        label="From", max_length=150, widget=StationInput("from-stations")
    )
    vars()["to"] = forms.CharField(label="To", max_length=150, widget=StationInput("to-stations"))
    date = forms.DateField(
        label="Date of journey", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean_from(self) -> Station:
        return station_resolve(self.cleaned_data["from"])

    def clean_to(self) -> Station:
        return station_resolve(self.cleaned_data["to"])

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        today = timezone.localdate()
        if day < today - timedelta(days=1):
            raise forms.ValidationError("Choose today or a later date.")
        if day > today + timedelta(days=SEARCH_DAYS_AHEAD):
            raise forms.ValidationError("Trips are sold at most a year ahead.")
        return day

    def clean(self):
        data = super().clean()
        origin, destination = data.get("from"), data.get("to")
        if origin and destination and origin.pk == destination.pk:
            self.add_error("to", "Choose a destination other than the origin.")
        return data


QUOTA_RULES = {
    Quota.GENERAL: "Open to everyone.",
    Quota.LADIES: "Women travelling alone or with other women: every passenger must be female.",
    Quota.SENIOR: "One or two passengers, all senior citizens (women 58 and over, men 60 "
    "and over); lower berths first.",
    Quota.TATKAL: "Opens the day before the journey at 10:00 for AC classes and 11:00 for "
    "the others; at most 4 passengers; a higher fare; a confirmed Tatkal "
    "ticket is not refunded.",
    Quota.FOREIGN_TOURIST: "Visitors from abroad: each passenger's passport number and "
    "country; bookable up to 365 days ahead; a higher fare.",
}


class BookingOptionsForm(forms.Form):
    quota = forms.ChoiceField(
        choices=BOOKABLE_QUOTA_CHOICES, initial=Quota.GENERAL, widget=forms.RadioSelect
    )
    only_if_all_confirmed = forms.BooleanField(
        required=False, label="Book only if every passenger gets a confirmed berth"
    )


class PassengerForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    age = forms.IntegerField(
        min_value=0, max_value=125, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    gender = forms.ChoiceField(choices=[("", "Choose…"), *Gender.choices])
    berth_preference = forms.ChoiceField(
        label="Berth preference", choices=BerthPreference.choices, required=False
    )
    passport = forms.CharField(
        label="Passport number", max_length=20, required=False, help_text="Foreign tourists only."
    )
    nationality = forms.CharField(
        label="Country",
        max_length=3,
        required=False,
        help_text="Its code on the passport: GB or GBR.",
        widget=forms.TextInput(attrs={"size": 3}),
    )
    seat = forms.CharField(required=False, widget=forms.HiddenInput)

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
        raise forms.ValidationError(f"{value!r} is not a seat of this trip.")
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
