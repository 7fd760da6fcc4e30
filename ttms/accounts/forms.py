from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .models import phone_validator


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        label="Phone for SMS (optional)", max_length=16, required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "placeholder": "+919876543210"}),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )
