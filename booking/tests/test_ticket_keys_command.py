"""`manage.py ticket_keys`: list, rotate, revoke, generate; each asserted by the ticket key
rows it leaves and by what it prints (never a secret)."""

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from ..boarding import ticket_keys
from ..models import TicketKey

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_keys_from_database")]

MARCH_1 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
MARCH_8 = datetime(2026, 3, 8, 18, 5, tzinfo=UTC)


@pytest.fixture
def _keys_from_database():
    with override_settings(TTMS_TICKET_KEYS=""):
        yield


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ticket_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows() -> list[tuple[str, str]]:
    return list(TicketKey.objects.order_by("created_at", "pk").values_list("kid", "state"))


def secrets_of(key: TicketKey) -> list[str]:
    return [key.hmac_secret, key.ed25519_private]


def key_at(moment: datetime, state: str = TicketKey.State.ACTIVE) -> TicketKey:
    key = ticket_keys.key_generate()
    key.created_at, key.state = moment, state
    key.save()
    return key


def test_list_without_keys_says_the_first_comes_on_first_use_and_creates_none():
    out, _ = run("list")

    assert out == (
        "No ticket keys yet: the first is generated when a ticket is first issued "
        "(or by `ticket_keys rotate`).\n"
    )
    assert rows() == []


def test_list_shows_each_key_oldest_first_and_never_a_secret():
    retired = key_at(MARCH_1, TicketKey.State.RETIRED)
    active = key_at(MARCH_8)

    out, _ = run("list")

    assert out.splitlines() == [
        f"{'kid':<16}  state     created               signing",
        f"{retired.kid:<16}  retired   2026-03-01 09:30 UTC  no",
        f"{active.kid:<16}  active    2026-03-08 18:05 UTC  yes",
    ]
    assert not any(secret in out for secret in secrets_of(retired) + secrets_of(active))
    assert rows() == [(retired.kid, "retired"), (active.kid, "active")]


def test_rotate_retires_the_signing_key_and_says_its_tickets_stay_valid():
    old = key_at(MARCH_1)

    with time_machine.travel(MARCH_8, tick=False):
        out, _ = run("rotate")

    new = TicketKey.objects.get(state=TicketKey.State.ACTIVE)
    assert rows() == [(old.kid, "retired"), (new.kid, "active")]
    old.refresh_from_db()
    assert old.state_changed_at == MARCH_8
    assert new.created_at == MARCH_8
    assert out.splitlines() == [
        f"New signing key: {new.kid}.",
        f"Tickets signed by {old.kid} stay valid until they expire; revoke it with "
        f"`ticket_keys revoke {old.kid}` only if its secret leaked.",
        "Scanners get the new public key from /api/v1/tickets/keys/ or their next manifest.",
    ]
    assert new.hmac_secret not in out and new.ed25519_private not in out


def test_rotate_with_no_keys_creates_the_first_signing_key():
    out, _ = run("rotate")

    [(kid, state)] = rows()
    assert state == "active"
    assert out.splitlines() == [
        f"New signing key: {kid}.",
        "Scanners get the new public key from /api/v1/tickets/keys/ or their next manifest.",
    ]


def test_revoke_refuses_a_retired_key_from_now_on():
    retired = key_at(MARCH_1, TicketKey.State.RETIRED)
    active = key_at(MARCH_8)

    with time_machine.travel(MARCH_8, tick=False):
        out, _ = run("revoke", retired.kid.lower())

    assert rows() == [(retired.kid, "revoked"), (active.kid, "active")]
    retired.refresh_from_db()
    assert retired.state_changed_at == MARCH_8
    assert out == (
        f"Revoked {retired.kid}: every ticket it signed is refused from now on "
        "(invalid_signature). Passengers get a ticket signed by the current key "
        "when they open their tickets again.\n"
    )
    assert retired.kid in ticket_keys.keyring().revoked


def test_revoke_of_the_signing_key_is_refused_and_changes_nothing():
    active = key_at(MARCH_1)

    with pytest.raises(CommandError) as refused:
        run("revoke", active.kid)

    assert str(refused.value) == f"{active.kid} signs new tickets: rotate first, then revoke it."
    assert rows() == [(active.kid, "active")]
    active.refresh_from_db()
    assert active.state_changed_at is None


def test_revoke_of_an_unknown_key_is_refused_and_changes_nothing():
    active = key_at(MARCH_1)

    with pytest.raises(CommandError) as refused:
        run("revoke", "ZZZZZZZZ")

    assert str(refused.value) == "No ticket key has the id ZZZZZZZZ."
    assert rows() == [(active.kid, "active")]


def test_generate_prints_an_entry_the_setting_accepts_and_stores_nothing():
    out, err = run("generate")

    entry = out.strip()
    assert out == entry + "\n"
    ring = ticket_keys.keyring_from_setting(entry)
    assert list(ring.verifying) == [entry.split(":")[0]] == [ring.signing.kid]
    assert err == (
        "This is a secret. Put it first in TTMS_TICKET_KEYS (entries are "
        "comma-separated; the first signs) and keep the entries after it until "
        "the tickets they signed have expired.\n"
    )
    assert rows() == []


def test_list_of_keys_from_the_setting_says_so_and_never_prints_a_secret():
    first, second = (ticket_keys.setting_entry_generate() for _ in range(2))
    stored = key_at(MARCH_1)

    with override_settings(TTMS_TICKET_KEYS=f"{first},{second}"):
        out, _ = run("list")

    kid_1, kid_2 = first.split(":")[0], second.split(":")[0]
    assert out.splitlines() == [
        "Keys come from TTMS_TICKET_KEYS: the first entry signs, all verify. Edit the "
        "setting to rotate or revoke.",
        f"{'kid':<16}  state     created               signing",
        f"{kid_1:<16}  active    -                     yes",
        f"{kid_2:<16}  retired   -                     no",
        "1 key(s) stored in the database are not used while TTMS_TICKET_KEYS is set.",
    ]
    assert not any(secret in out for entry in (first, second) for secret in entry.split(":")[1:])
    assert rows() == [(stored.kid, "active")]


@pytest.mark.parametrize("args", [("rotate",), ("revoke", "ABCDEFGH")])
def test_rotate_and_revoke_refuse_when_keys_come_from_the_setting(args):
    entry = ticket_keys.setting_entry_generate()
    with override_settings(TTMS_TICKET_KEYS=entry), pytest.raises(CommandError) as refused:
        run(*args)

    assert str(refused.value) == (
        "Ticket keys come from TTMS_TICKET_KEYS here: change that setting to rotate or revoke them."
    )
    assert rows() == []


def test_list_with_an_unreadable_setting_names_the_entry():
    with (
        override_settings(TTMS_TICKET_KEYS="ABC:c2hvcnQ:c2hvcnQ"),
        pytest.raises(CommandError) as refused,
    ):
        run("list")

    assert str(refused.value) == (
        "TTMS_TICKET_KEYS entry 1 is not KID:HMAC_SECRET:ED25519_SEED (the HMAC secret needs "
        "at least 32 bytes, the Ed25519 seed exactly 32)."
    )
    assert rows() == []
