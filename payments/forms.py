from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttms import money

from .exceptions import InvalidAmount
from .topups.services import topup_amount_check


class TopUpForm(forms.Form):
    """A top-up amount typed in major units ("500" or "499.50"), kept as minor units."""

    amount = forms.CharField(
        # Long enough for any amount a person types, so one past the limit hears the limit.
        label=gettext_lazy("Amount"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=gettext_lazy("In rupees, e.g. 500 or 499.50."),
    )

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"].replace(",", "").strip()
        try:
            amount = money.from_major_string(text, money.default_currency())
        except ValueError as exc:
            raise forms.ValidationError(_("Enter an amount such as 500 or 499.50.")) from exc
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount greater than zero."))
        try:
            return topup_amount_check(amount=amount)
        except InvalidAmount as exc:
            raise forms.ValidationError(exc.message) from exc
