from django import forms

from . import money


class TopUpForm(forms.Form):
    """A top-up amount typed in major units ("500" or "499.50"), kept as minor units."""

    amount = forms.CharField(
        label="Amount", max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="In rupees, e.g. 500 or 499.50.",
    )

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"].replace(",", "").strip()
        try:
            amount = money.from_major_string(text, money.default_currency())
        except ValueError as exc:
            raise forms.ValidationError("Enter an amount such as 500 or 499.50.") from exc
        if not money.is_amount(amount):
            raise forms.ValidationError("Enter an amount greater than zero.")
        return amount
