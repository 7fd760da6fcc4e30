from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .forms import SignInForm, SignUpForm
from .services import user_create
from .throttling import LoginAttempts


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
            form = self.form_class(request=request,
                                   initial={"username": request.POST.get("username", "")})
            message = (f"Too many failed sign-in attempts. "
                       f"Try again in {max(1, wait // 60)} minute(s).")
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


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(request, "accounts/signup.html", {"form": form},
                  status=400 if form.errors else 200)
