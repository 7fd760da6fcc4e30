from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_texts

from .models import phone_validator


def _phone_field() -> forms.CharField:
    return forms.CharField(
        label="Phone for SMS (optional)", max_length=16, required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "placeholder": "+919876543210"}),
    )


def _full_name_field() -> forms.CharField:
    return forms.CharField(label="Full name", max_length=150,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))


def _plain_password_help() -> str:
    # Django's default help is an HTML list, which cannot sit inside the <label> that
    # includes/field.html wraps around each field.
    return " ".join(password_validators_help_texts())


class SignInForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class SignUpForm(forms.Form):
    full_name = _full_name_field()
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = _phone_field()
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )


class ProfileForm(forms.Form):
    full_name = _full_name_field()
    phone = _phone_field()


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = _plain_password_help()


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _plain_password_help()


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label="Email", max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
