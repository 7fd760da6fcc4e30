from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttms import money

from .exceptions import InvalidAmount
from .topups.selectors import topup_currencies
from .topups.services import topup_amount_check


class TopUpForm(forms.Form):
    """A top-up: the currency (one the operators sell) and an amount typed in its major
    units ("500", or "499.50" where the currency has decimals), kept as minor units."""

    # Left out (an older page, a bookmarked link): the form's initial currency.
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=(), required=False)
    amount = forms.CharField(
        # Long enough for any amount a person types, so one past the limit hears the limit.
        label=gettext_lazy("Amount"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=gettext_lazy("In the currency chosen, e.g. 500."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currencies = topup_currencies()
        self.fields["currency"].choices = [(code, code) for code in currencies]
        if self.initial.get("currency") not in currencies:
            self.initial["currency"] = (
                money.default_currency()
                if money.default_currency() in currencies
                else currencies[0]
            )

    def clean(self):
        data = super().clean()
        if "currency" not in self.errors and not data.get("currency"):
            data["currency"] = self.initial["currency"]
        currency, text = data.get("currency"), data.get("amount")
        if not currency or text is None:
            return data
        text = text.replace(",", "").strip()
        try:
            amount = money.from_major_string(text, currency)
        except ValueError:
            if money.exponent(currency):
                message = _("Enter an amount such as 500 or 499.50.")
            else:
                message = _("Enter a whole amount such as 500: %(currency)s has no decimals.") % {
                    "currency": currency
                }
            self.add_error("amount", message)
            return data
        if amount <= 0:
            self.add_error("amount", _("Enter an amount greater than zero."))
            return data
        try:
            data["amount"] = topup_amount_check(amount=amount, currency=currency)
        except InvalidAmount as exc:
            self.add_error("amount", exc.message)
        return data
