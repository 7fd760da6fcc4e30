"""Every row lock the payments app takes, in one place, so every path takes them in the same
order and none deadlocks:

1. the idempotency key (a PostgreSQL advisory lock, tried, never waited for);
2. the payment row (a provider's event for it);
3. ledger accounts, all of one transaction at once, by ascending primary key.

Locks are `FOR NO KEY UPDATE`: enough to serialise balance updates, and it does not
conflict with the `FOR KEY SHARE` lock PostgreSQL takes on an account when an entry
referencing it is inserted, so crediting a company's revenue never waits for a payout.

Lock waits are bounded on PostgreSQL (`SET LOCAL lock_timeout`, restored afterwards so an
outer transaction keeps its own setting); a wait that runs out raises `Busy` (503, "retry").
SQLite has no row locks: its IMMEDIATE transactions already run writers one at a time.
"""

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction

from ttms.locking import is_lock_timeout

from .exceptions import Busy
from .models import Account, Payment


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def bounded_lock_wait(timeout_ms: int | None = None) -> Iterator[None]:
    """Run the block in a savepoint with lock waits limited to `timeout_ms`.

    Raises Busy when a lock is not granted in time; the savepoint is rolled back, so an
    outer transaction stays usable (and its own lock_timeout is restored).
    """
    if not _on_postgres():
        with transaction.atomic():
            yield
        return
    timeout_ms = timeout_ms or settings.TTMS_PAYMENTS_LOCK_TIMEOUT_MS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
            [f"{int(timeout_ms)}ms"],
        )
        previous = cursor.fetchone()[0]
    try:
        with transaction.atomic():
            yield
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise Busy() from exc
        raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def accounts_lock(*, account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock these accounts (ascending pk) and return them, fresh, by pk.

    Must run inside a transaction. Raises Busy when another transaction holds one of them
    longer than the bounded wait.
    """
    ids = sorted(set(account_ids))
    with bounded_lock_wait():
        accounts = list(
            Account.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
        )
    return {account.pk: account for account in accounts}


def payment_lock(*, payment_id) -> Payment:
    """Lock one payment row and return it fresh. Raises Payment.DoesNotExist or Busy."""
    with bounded_lock_wait():
        return (
            Payment.objects.select_for_update(of=("self",), no_key=True)
            .select_related("user")
            .get(pk=payment_id)
        )


def idempotency_key_try_lock(*, user_id: int, scope: str, key: str) -> bool:
    """Try to take the transaction-scoped lock of one idempotency key; never wait.

    False means another request with this key is running right now (the caller answers
    409). On SQLite always True: its writers are serialised, so the second request waits
    for the first to commit and then finds its record.
    """
    if not _on_postgres():
        return True
    digest = hashlib.sha256(f"{user_id}\x00{scope}\x00{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        return bool(cursor.fetchone()[0])
