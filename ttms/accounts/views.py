from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ttms.http import safe_next
from ttms.languages import user_language_activate

from .forms import (
    InvitationPasswordForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    SignInForm,
    SignUpForm,
)
from .invitations import invitation_token
from .landing import landing_url
from .services import user_create, user_language_set, user_update
from .throttling import LoginAttempts


def _add_service_errors(form, exc: ValidationError) -> None:
    for field, field_messages in exc.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


class _InvalidFormIs400:
    """Answer a form that does not validate with 400, as the other pages do."""

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SignInView(auth_views.LoginView):
    """Sign-in page; repeated failures are answered with 429 and a message on the form."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        self.attempts = LoginAttempts(request, request.POST.get("username"))
        wait = self.attempts.retry_after()
        if wait is not None:
            # An unbound form: the credentials are not even checked while throttled.
            form = self.form_class(
                request=request, initial={"username": request.POST.get("username", "")}
            )
            minutes = max(1, wait // 60)
            message = ngettext(
                "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
            return self.render_to_response(
                self.get_context_data(form=form, throttle_error=message), status=429
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        self.attempts.record_failure()
        return super().form_invalid(form)

    def form_valid(self, form):
        self.attempts.record_success()
        return super().form_valid(form)

    def get_default_redirect_url(self):
        """Operator staff and platform admins land on the admin (their dashboard), drivers
        on their trips page, station agents on the counter, passengers on
        LOGIN_REDIRECT_URL."""
        return (
            landing_url(getattr(self.request, "user", None)) or super().get_default_redirect_url()
        )


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_up(request):
    next_url = safe_next(request)
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url or reverse("home"))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(next_url or reverse("home"))
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    """The signed-in user's profile: full name, phone and language; the email is shown,
    not edited."""
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"full_name": user.full_name, "phone": user.phone, "language": user.language},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            # The message reads in the language just chosen, as the next page will.
            user_language_activate(request, user)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:account")
    return render(
        request, "accounts/account.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["POST"])
def language_set(request):
    """The footer's language switcher: Django's `set_language` (the cookie, then back to
    the page), and a signed-in user's choice saved to their account, which outranks the
    cookie (ttms.middleware.UserLanguageMiddleware)."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user=request.user, language=language)
    return response


class PasswordChangeView(_InvalidFormIs400, auth_views.PasswordChangeView):
    """Change the password knowing the current one; this session stays signed in and
    every other session of the user is signed out (the session hash changes)."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetView(_InvalidFormIs400, auth_views.PasswordResetView):
    """Ask for a reset link by email. The answer is the same whether or not the address
    has an account, so the page cannot be used to find out who has one."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        self.extra_email_context = {"valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(_InvalidFormIs400, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class InvitationAcceptView(_InvalidFormIs400, auth_views.PasswordResetConfirmView):
    """An invited staff member chooses a first password through the emailed one-time link
    (`ttms.accounts.invitations`), is signed in and lands on the admin site. A link used,
    expired, altered or made for a password reset shows "not valid"."""

    form_class = InvitationPasswordForm
    token_generator = invitation_token
    template_name = "accounts/invite_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("admin:index")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome: your password is set."))
        return response
