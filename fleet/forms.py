"""The public "operate with us" form: an operator asks to sell on the platform."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Company, OperatorApplication
from .models.companies import _time_zone_names


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(_time_zone_names())]


class OperatorApplicationForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("Kind of operator"), choices=Company.Kind.choices, widget=forms.RadioSelect
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_time_zone_choices,
        initial=lambda: OperatorApplication._meta.get_field("time_zone").get_default(),
    )

    class Meta:
        model = OperatorApplication
        fields = [
            "company_name",
            "kind",
            "currency",
            "time_zone",
            "fleet_size",
            "contact_name",
            "email",
            "phone",
            "message",
        ]
        labels = {
            "currency": _("Currency you sell in (ISO 4217, e.g. INR, KES)"),
        }
        widgets = {
            "currency": forms.TextInput(attrs={"maxlength": 3, "autocapitalize": "characters"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "message": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()
