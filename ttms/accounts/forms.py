from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db import transaction
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .phones import phone_example, phone_normalize
from .services import password_changed_tell


class PhoneField(forms.CharField):
    """A phone number as people write it ("+91 98765 43210", "098765-43210"); cleaned to
    E.164, or "" when left blank. An invalid number is a field error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)  # spaces, dashes and brackets included
        super().__init__(**kwargs)

    def to_python(self, value):
        return phone_normalize(super().to_python(value))


def _phone_field() -> PhoneField:
    return PhoneField(
        label=_("Phone for SMS (optional)"),
        required=False,
        help_text=_("As you would dial it; from abroad, with the country code."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "tel",
                "inputmode": "tel",
                "placeholder": lazy(phone_example, str)(),
            }
        ),
    )


def _full_name_field() -> forms.CharField:
    return forms.CharField(
        label=_("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )


def _plain_password_help() -> str:
    # Django's default help is an HTML list, which cannot sit inside the <label> that
    # includes/field.html wraps around each field.
    return " ".join(password_validators_help_texts())


class SignInForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class SignUpForm(forms.Form):
    full_name = _full_name_field()
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = _phone_field()
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )


class ProfileForm(forms.Form):
    full_name = _full_name_field()
    phone = _phone_field()
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As my browser asks")), *settings.LANGUAGES],
        required=False,
        help_text=_("Pages, emails and API messages are in this language."),
    )


class PasswordToldMixin:
    """A form that saves a new password tells its owner (`password_changed_tell`), in the
    transaction that saves it."""

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        with transaction.atomic():
            user = super().save(commit=True)
            password_changed_tell(user=user)
        return user


class PasswordChangeForm(PasswordToldMixin, auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["new_password1"].help_text = _plain_password_help()


class SetPasswordForm(PasswordToldMixin, auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _plain_password_help()


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        """The email is in the account's own language if it chose one, else in the
        language the reset was asked in."""
        language = context["user"].language or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class InvitationPasswordForm(auth_forms.SetPasswordForm):
    """The first password of an invited account (nothing to tell: there was none before)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _plain_password_help()
