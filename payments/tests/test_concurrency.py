"""Real concurrency against PostgreSQL: threads, each with its own connection."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction
from rest_framework.test import APIClient

from payments.exceptions import Busy, InsufficientFunds
from payments.ledger.sales import booking_charge
from payments.models import Account, IdempotencyRecord, Payment, Transaction, WebhookEvent
from payments.topups.providers.sandbox import SandboxProvider
from ttms.invariants import run_checks
from ttms.testing import run_together

from .factories import CompanyFactory, PassengerFactory, PaymentFactory, fund_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHARGE = "/api/v1/test/charge/"


def invariants_hold() -> bool:
    return all(not problems for problems in run_checks().values())


def test_64_concurrent_debits_against_funds_for_20_leave_exactly_zero(record_property):
    passenger, company = PassengerFactory(), CompanyFactory()
    fund_wallet(passenger, 20 * 1_000)
    wallet_id = Account.objects.get(kind="wallet").pk
    stop, lowest = threading.Event(), []

    def watch_balance():
        while not stop.is_set():
            lowest.append(Account.objects.values_list("balance", flat=True).get(pk=wallet_id))
        connections.close_all()

    def charge(i):
        try:
            booking_charge(
                wallet_owner=passenger,
                company=company,
                amount=1_000,
                reference_type="pnr",
                reference_id=f"PNR{i}",
            )
        except InsufficientFunds:
            return "refused"
        except Busy:
            return "busy"
        return "charged"

    watcher = threading.Thread(target=watch_balance)
    watcher.start()
    started = time.perf_counter()
    outcomes = Counter(run_together(64, charge))
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()

    record_property("elapsed_seconds", round(elapsed, 3))
    print(f"\n64 concurrent debits: {elapsed:.3f} s, {len(lowest)} balance samples")
    assert outcomes == {"charged": 20, "refused": 44}
    assert Account.objects.get(pk=wallet_id).balance == 0
    assert min(lowest) >= 0
    assert Transaction.objects.filter(kind="booking_charge").count() == 20
    assert invariants_hold()


def test_same_key_50_times_concurrently_moves_money_once(record_property):
    passenger, company = PassengerFactory(), CompanyFactory()
    fund_wallet(passenger, 10_000)
    body = {"company": company.pk, "amount": 4_000, "reference": "PNR1"}

    def call(i):
        client = APIClient()
        client.force_authenticate(passenger)
        response = client.post(
            CHARGE, body, format="json", headers={"Idempotency-Key": "one-booking"}
        )
        return response.status_code, response.json()

    started = time.perf_counter()
    answers = run_together(50, call)
    record_property("elapsed_seconds", round(time.perf_counter() - started, 3))

    statuses = Counter(status for status, _ in answers)
    print(f"\n50 requests with one key: {dict(statuses)}")
    assert set(statuses) <= {201, 409} and statuses[201] >= 1
    assert len({body["transaction"] for status, body in answers if status == 201}) == 1
    assert {body["error"]["code"] for status, body in answers if status == 409} <= {
        "idempotency_in_flight"
    }
    assert Transaction.objects.filter(kind="booking_charge").count() == 1
    assert Account.objects.get(kind="wallet").balance == 6_000

    client = APIClient()
    client.force_authenticate(passenger)
    different = client.post(
        CHARGE, {**body, "amount": 1_000}, format="json", headers={"Idempotency-Key": "one-booking"}
    )
    assert different.status_code == 422
    assert Transaction.objects.filter(kind="booking_charge").count() == 1
    assert invariants_hold()


def test_same_webhook_delivered_10_times_at_once_credits_once():
    passenger = PassengerFactory()
    payment = PaymentFactory(user=passenger, amount=25_000)
    body, headers = SandboxProvider().build_event(payment=payment, approve=True)
    del headers["Content-Type"]

    def deliver(i):
        response = APIClient().post(
            "/api/v1/payments/webhooks/sandbox/",
            data=body,
            content_type="application/json",
            headers=headers,
        )
        return response.status_code, response.json()["duplicate"]

    answers = run_together(10, deliver)

    assert sorted(answers) == [(200, False)] + [(200, True)] * 9
    assert Account.objects.get(kind="wallet").balance == 25_000
    assert Transaction.objects.filter(kind="topup").count() == 1
    assert invariants_hold()


def test_a_lock_held_too_long_answers_busy_503_and_records_nothing(settings):
    settings.TTMS_PAYMENTS_LOCK_TIMEOUT_MS = 200
    passenger, company = PassengerFactory(), CompanyFactory()
    fund_wallet(passenger, 10_000)
    wallet_id = Account.objects.get(kind="wallet").pk
    locked, release = threading.Event(), threading.Event()

    def hold_the_wallet():
        with transaction.atomic():
            Account.objects.select_for_update().get(pk=wallet_id)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_the_wallet)
    holder.start()
    locked.wait(10)
    client = APIClient()
    client.force_authenticate(passenger)
    body = {"company": company.pk, "amount": 4_000, "reference": "PNR1"}
    try:
        busy = client.post(CHARGE, body, format="json", headers={"Idempotency-Key": "k"})
    finally:
        release.set()
        holder.join()

    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "busy"
    assert not Transaction.objects.filter(kind="booking_charge").exists()
    assert not IdempotencyRecord.objects.exists()
    retried = client.post(CHARGE, body, format="json", headers={"Idempotency-Key": "k"})
    assert retried.status_code == 201
    assert Account.objects.get(pk=wallet_id).balance == 6_000


def _backends_waiting_on_a_lock() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
            "current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_four_completions_of_one_sandbox_topup_answer_one_200_and_three_409(settings):
    settings.TTMS_PAYMENTS_LOCK_TIMEOUT_MS = 20_000
    passenger = PassengerFactory()
    payment = PaymentFactory(user=passenger, amount=25_000)
    actions = ["approve", "decline", "approve", "decline"]
    locked, release = threading.Event(), threading.Event()

    def hold_the_payment():
        # Every completion queues behind this lock, so all four are in the race for sure.
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=payment.pk)
            locked.set()
            release.wait(20)
        connections.close_all()

    def complete(i):
        client = APIClient()
        client.force_authenticate(passenger)
        response = client.post(
            f"/api/v1/payments/sandbox/{payment.pk}/complete/",
            {"outcome": actions[i]},
            format="json",
        )
        return response.status_code, response.json()

    holder = threading.Thread(target=hold_the_payment)
    holder.start()
    locked.wait(10)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(lambda i=i: (complete(i), connections.close_all())[0]) for i in range(4)
        ]
        deadline = time.monotonic() + 15
        while _backends_waiting_on_a_lock() < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        answers = [future.result() for future in futures]
    holder.join()

    statuses = [status for status, _ in answers]
    assert sorted(statuses) == [200, 409, 409, 409]
    winner = statuses.index(200)
    expected = "succeeded" if actions[winner] == "approve" else "failed"
    assert answers[winner][1]["status"] == expected
    assert [body["error"]["code"] for status, body in answers if status == 409] == [
        "payment_not_pending"
    ] * 3
    payment.refresh_from_db()
    assert payment.status == expected
    assert WebhookEvent.objects.count() == 1
    wallet = Account.objects.filter(kind="wallet").first()
    assert (wallet.balance if wallet else 0) == (25_000 if expected == "succeeded" else 0)
    assert Transaction.objects.filter(kind="topup").count() == (expected == "succeeded")
    assert invariants_hold()


def test_a_dismissal_racing_an_approval_leaves_one_consistent_outcome(settings):
    from django.test import Client

    settings.TTMS_PAYMENTS_LOCK_TIMEOUT_MS = 20_000
    passenger = PassengerFactory()
    payment = PaymentFactory(user=passenger, amount=25_000)
    locked, release = threading.Event(), threading.Event()

    def hold_the_payment():
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=payment.pk)
            locked.set()
            release.wait(20)
        connections.close_all()

    def approve():
        client = APIClient()
        client.force_authenticate(passenger)
        return client.post(
            f"/api/v1/payments/sandbox/{payment.pk}/complete/",
            {"outcome": "approve"},
            format="json",
        ).status_code

    def dismiss():
        client = Client()
        client.force_login(passenger)
        return client.post(f"/wallet/topups/{payment.pk}/dismiss/").status_code

    holder = threading.Thread(target=hold_the_payment)
    holder.start()
    locked.wait(10)
    with ThreadPoolExecutor(max_workers=2) as pool:
        approved = pool.submit(lambda: (approve(), connections.close_all())[0])
        dismissed = pool.submit(lambda: (dismiss(), connections.close_all())[0])
        deadline = time.monotonic() + 15
        while _backends_waiting_on_a_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        answers = (approved.result(), dismissed.result())
    holder.join()

    payment.refresh_from_db()
    wallet = Account.objects.filter(kind="wallet").first()
    if payment.status == "succeeded":
        assert answers == (200, 302)
        assert (wallet.balance, WebhookEvent.objects.count()) == (25_000, 1)
    else:
        assert answers == (409, 302)
        assert (payment.status, payment.failure_code) == ("failed", "dismissed")
        assert wallet is None and not WebhookEvent.objects.exists()
    assert invariants_hold()
