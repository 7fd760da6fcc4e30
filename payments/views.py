"""Pages: the wallet, and the sandbox provider's checkout."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ttms import money
from ttms.exceptions import DomainError
from ttms.http import safe_next

from .forms import TopUpForm
from .ledger import selectors as ledger_selectors
from .topups import selectors as topup_selectors
from .topups.providers.sandbox import SandboxProvider
from .topups.services import payment_dismiss, wallet_topup_start
from .topups.webhooks import sandbox_payment_complete

HISTORY_PAGE_SIZE = 20
# Where each pending top-up returns to once paid (e.g. the booking that was short), by
# payment id, in the payer's session.
RETURN_TO = "topup_return_to"


def _shown_currency(request, wallets: list) -> str:
    """The wallet whose history the page shows: `?currency=` when the user has that wallet,
    else the default currency's, else their first."""
    held = [wallet.currency for wallet in wallets]
    asked = request.GET.get("currency", "")
    if asked in held:
        return asked
    default = money.default_currency()
    return default if default in held or not held else held[0]


def _wallet_context(request, form: TopUpForm) -> dict:
    wallets = list(ledger_selectors.wallets_for_user(user=request.user))
    currency = _shown_currency(request, wallets)
    history = Paginator(
        ledger_selectors.wallet_entries_for_user(user=request.user, currency=currency),
        HISTORY_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return {
        # Before the first top-up: the default currency's empty wallet.
        "wallets": [{"currency": wallet.currency, "balance": wallet.balance} for wallet in wallets]
        or [{"currency": currency, "balance": 0}],
        "currency": currency,
        "history": history,
        "pending": topup_selectors.topups_waiting_for_user(user=request.user)[:5],
        "stopped": topup_selectors.topups_stopped_for_user(user=request.user)[:5],
        "form": form,
        # Wallet movements and payments belong to no station: shown in the passengers' zone.
        "display_time_zone": settings.TTMS_DISPLAY_TIME_ZONE,
    }


@login_required
@require_GET
def wallet(request):
    """The user's wallets and the history of one (`?currency=`); the top-up form takes its
    currency and amount from `?currency=&amount=` (a short booking's link)."""
    initial = {
        name: request.GET[name][:32] for name in ("currency", "amount") if request.GET.get(name)
    }
    return render(
        request, "payments/wallet.html", _wallet_context(request, TopUpForm(initial=initial))
    )


@login_required
@require_POST
def wallet_topup(request):
    """Start a sandbox top-up and send the user to its checkout page; a safe `next` (the
    booking that was short) is where the checkout returns once the payment is settled."""
    form = TopUpForm(request.POST)
    if form.is_valid():
        try:
            payment = wallet_topup_start(
                user=request.user,
                amount=form.cleaned_data["amount"],
                currency=form.cleaned_data["currency"],
                provider=SandboxProvider.name,
            )
        except DomainError as exc:
            form.add_error("currency" if "currency" in exc.fields else "amount", exc.message)
        else:
            if back := safe_next(request):
                request.session.setdefault(RETURN_TO, {})[str(payment.pk)] = back
                request.session.modified = True
            return redirect("payments-sandbox-checkout", payment_id=payment.pk)
    return render(request, "payments/wallet.html", _wallet_context(request, form), status=400)


@login_required
@require_POST
def topup_dismiss(request, payment_id):
    """The payer stops waiting for one of their pending top-ups (see
    `payment_dismiss`); back to the wallet, with what became of it."""
    payment = topup_selectors.payment_get_for_user(payment_id=payment_id, user=request.user)
    try:
        payment = payment_dismiss(user=request.user, payment_id=payment.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(
            request,
            _("The top-up of %(amount)s is no longer waiting for payment; nothing was charged.")
            % {"amount": money.format_money(payment.amount, payment.currency)},
        )
        if request.session.get(RETURN_TO, {}).pop(str(payment.pk), None):
            request.session.modified = True
    return redirect("payments:wallet")


def _wallet_url() -> str | None:
    try:
        return reverse("payments:wallet")
    except NoReverseMatch:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_checkout(request, payment_id):
    """The sandbox provider's checkout: the payer approves or declines a pending payment."""
    payment = topup_selectors.payment_get_for_user(payment_id=payment_id, user=request.user)
    if payment.provider != SandboxProvider.name:
        raise Http404(_("No such sandbox payment."))
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in ("approve", "decline"):
            return render(
                request,
                "payments/sandbox_checkout.html",
                {"payment": payment, "wallet_url": _wallet_url()},
                status=400,
            )
        try:
            payment = sandbox_payment_complete(payment=payment, approve=outcome == "approve")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if payment.status == payment.Status.SUCCEEDED:
                messages.success(
                    request,
                    _("%(amount)s added to your wallet.")
                    % {"amount": money.format_money(payment.amount, payment.currency)},
                )
            else:
                messages.info(request, _("Payment declined: your wallet was not charged."))
        back = request.session.get(RETURN_TO, {}).pop(str(payment.pk), None)
        request.session.modified = True
        return redirect(back or _wallet_url() or request.path)
    return render(
        request, "payments/sandbox_checkout.html", {"payment": payment, "wallet_url": _wallet_url()}
    )
