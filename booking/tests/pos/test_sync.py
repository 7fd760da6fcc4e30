"""Offline sync (`booking.pos.services.sync.pos_sync`): a signed, hash-chained batch of a
device's sales is booked once, in order, with an answer per sale; a tampered batch, or one
from a revoked device, is refused whole with an audit case and nothing booked."""

import base64
import uuid
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking.exceptions import PosRefused
from booking.models import Device, Pnr, SyncRecord
from booking.models.pos import AuditCase
from booking.pos import chain
from booking.pos.services.devices import device_enrol, device_revoke
from booking.pos.services.sales import pos_sale_create
from booking.pos.services.sync import REVOKED, pos_sync
from booking.tests.buses import KIGALI, make_rwanda_bus
from booking.tests.factories import IST, adult, make_trip
from fleet.models import CompanyMembership, Seat, Trip
from payments.ledger.accounts import drawer_get_or_create
from payments.ledger.selectors import account_entries_sum
from payments.models import Transaction
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.invariants import broken_invariants

pytestmark = pytest.mark.django_db

NOW = datetime(2029, 12, 20, 12, 0, tzinfo=KIGALI)
FARE = 2_500  # KGL - MSZ, 100 km at 25 RWF


class Till:
    """A device as the POS app runs it: its key, its chain so far, and a way to make and
    sign records."""

    def __init__(self, device_id: str, key=None):
        self.device_id = device_id
        self.key = key or Ed25519PrivateKey.generate()
        self.seq = 0
        self.prev = chain.GENESIS

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def record(self, trip, *, passengers=1, amount=FARE, to="MSZ", **sale) -> dict:
        self.seq += 1
        record = {
            "client_uuid": str(uuid.uuid4()),
            "device_id": self.device_id,
            "seq": self.seq,
            "device_time": f"2029-12-20T08:{self.seq % 60:02d}:00Z",
            "sale": {
                "trip": trip.pk,
                "from": "KGL",
                "to": to,
                "class": "STANDARD",
                "quota": "GENERAL",
                "passengers": [
                    {"name": f"Passenger {self.seq}.{i}", "age": 30, "gender": "F"}
                    for i in range(passengers)
                ],
                "buyer": {"name": "Aline Uwase", "phone": "+250788123456"},
                "amount": amount * passengers,
                "cash_given": amount * passengers,
                "currency": "RWF",
                **sale,
            },
            "prev_hash": self.prev,
        }
        record["hash"] = chain.record_hash(record)
        self.prev = record["hash"]
        return record

    def records(self, trip, count: int, **sale) -> list:
        return [self.record(trip, **sale) for _ in range(count)]

    def sign(self, records) -> str:
        return base64.b64encode(
            self.key.sign(chain.batch_signed_bytes(self.device_id, records))
        ).decode()

    def sync(self, records, *, signature=None, now=NOW):
        return pos_sync(
            device_id=self.device_id,
            records=records,
            signature=self.sign(records) if signature is None else signature,
            now=now,
        )


def agent_of(company):
    agent = UserFactory(role=Role.AGENT)
    CompanyMembership.objects.create(user=agent, company=company, role=Role.AGENT)
    return agent


def enrolled(company, agent=None, device_id="POS-KGL-01") -> tuple[Till, Device]:
    agent = agent or agent_of(company)
    till = Till(device_id)
    device = device_enrol(
        company=company,
        agent=agent,
        device_id=device_id,
        public_key_b64=till.public_b64,
        name="Counter 1",
        by=None,
    )
    return till, device


def drawer_balance(agent, currency="RWF") -> int:
    drawer = drawer_get_or_create(agent=agent, currency=currency)
    drawer.refresh_from_db()
    assert drawer.balance == -account_entries_sum(account=drawer)
    return drawer.balance


def cash_sales_less_refunds(agent) -> int:
    """What the ledger says the agent took: cash sales less cash refunds."""
    total = 0
    for txn in Transaction.objects.filter(created_by=agent).prefetch_related("entries"):
        for entry in txn.entries.all():
            if entry.account.kind == "drawer" and entry.account.user_id == agent.pk:
                total -= entry.amount
    return total


def test_a_batch_is_booked_in_order_and_the_same_batch_again_books_nothing_more():
    trip = make_rwanda_bus()
    till, device = enrolled(trip.route.company)
    batch = [*till.records(trip, 3), till.record(trip, passengers=2)]

    first = till.sync(batch)
    again = till.sync(batch)

    assert first.ok and again.ok
    assert [r.result for r in first.records] == ["booked"] * 4
    assert first.new == {1, 2, 3, 4} and again.new == frozenset()
    assert [r.pk for r in again.records] == [r.pk for r in first.records]
    assert Pnr.objects.count() == 4 and SyncRecord.objects.count() == 4
    assert [r.pnr.passengers.count() for r in first.records] == [1, 1, 1, 2]
    assert all(r.cash_to_return == 0 for r in first.records)
    device.refresh_from_db()
    assert (device.last_seq, device.last_hash) == (4, batch[-1]["hash"])
    assert drawer_balance(device.agent) == 5 * FARE == cash_sales_less_refunds(device.agent)
    # A later batch that repeats the last one it sent and goes on: the repeat is answered,
    # the rest booked.
    more = [batch[-1], till.record(trip)]
    answer = till.sync(more)
    assert answer.ok and answer.new == {5} and Pnr.objects.count() == 5
    assert not AuditCase.objects.exists()
    assert broken_invariants() == {}


def _tamper(kind: str, records: list) -> tuple[list, int]:
    """The batch with one record altered, removed, duplicated or reordered, and the seq of
    the first record the server should name."""
    records = [dict(r) for r in records]
    if kind == "altered":
        records[2]["sale"] = {**records[2]["sale"], "amount": 1}
        return records, 3
    if kind == "altered_rehashed":
        # Rehashed, but the next record still links to the original.
        records[2]["sale"] = {**records[2]["sale"], "amount": 1}
        records[2]["hash"] = chain.record_hash(records[2])
        return records, 4
    if kind == "removed":
        del records[2]
        return records, 4
    if kind == "duplicated":
        records.insert(3, records[2])
        return records, 3
    if kind == "reordered":
        records[1], records[2] = records[2], records[1]
        return records, 3
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("altered", chain.ALTERED),
        ("altered_rehashed", chain.BROKEN_LINK),
        ("removed", chain.GAP),
        ("duplicated", chain.DUPLICATED),
        ("reordered", chain.REORDERED),
    ],
)
def test_a_tampered_batch_is_refused_whole_with_an_audit_case_and_nothing_booked(kind, reason):
    trip = make_rwanda_bus()
    till, device = enrolled(trip.route.company)
    records, first_bad = _tamper(kind, till.records(trip, 5))

    answer = till.sync(records)  # signed as sent: the device key signed the tampered batch

    assert not answer.ok
    assert (answer.reason, answer.first_bad_seq) == (reason, first_bad)
    assert answer.message
    assert not Pnr.objects.exists() and not SyncRecord.objects.exists()
    assert drawer_balance(device.agent) == 0
    case = AuditCase.objects.get()
    assert (case.company, case.device, case.agent) == (device.company, device, device.agent)
    assert (case.reason, case.first_bad_seq) == (reason, first_bad)
    assert AuditEntry.objects.filter(action="pos.audit_case_opened").count() == 1
    device.refresh_from_db()
    assert device.last_seq == 0


def test_a_batch_that_does_not_fit_what_the_server_holds_is_refused():
    trip = make_rwanda_bus()
    till, _ = enrolled(trip.route.company)
    assert till.sync(till.records(trip, 2)).ok
    # Records made after a batch the server never got.
    till.records(trip, 2)
    gap = till.sync(till.records(trip, 1))
    # A forged second record 2 (another chain from record 1).
    fork = Till(till.device_id, till.key)
    first = fork.records(trip, 1)
    fork.seq, fork.prev = 1, SyncRecord.objects.get(seq=1).hash
    forged = fork.sync([fork.record(trip, amount=1)])
    # Signed with another key.
    stranger = till.sync(till.records(trip, 1), signature=Till("X").sign(first))

    assert (gap.reason, gap.first_bad_seq) == (chain.GAP, 5)
    assert (forged.reason, forged.first_bad_seq) == (chain.FORKED, 2)
    assert (stranger.reason, stranger.first_bad_seq) == (chain.BAD_SIGNATURE, None)
    assert Pnr.objects.count() == 2 and AuditCase.objects.count() == 3


def test_a_revoked_devices_batch_is_refused_with_an_audit_case():
    trip = make_rwanda_bus()
    till, device = enrolled(trip.route.company)
    admin = UserFactory(role=Role.OPERATOR_ADMIN) if hasattr(Role, "OPERATOR_ADMIN") else None
    device_revoke(device=device, by=admin, reason="Reported stolen")

    answer = till.sync(till.records(trip, 2))

    assert not answer.ok and answer.reason == REVOKED and answer.first_bad_seq == 1
    assert not Pnr.objects.exists() and not SyncRecord.objects.exists()
    case = AuditCase.objects.get()
    assert (case.reason, case.device, case.agent) == (REVOKED, device, device.agent)
    revoked = AuditEntry.objects.get(action="pos.device_revoked")
    assert revoked.data["reason"] == "Reported stolen"


def test_an_unknown_device_is_refused_and_nothing_is_written():
    trip = make_rwanda_bus()
    till = Till("POS-NOBODY")
    with pytest.raises(PosRefused):
        till.sync(till.records(trip, 1))
    assert not AuditCase.objects.exists() and not SyncRecord.objects.exists()


def _sell_online(agent, trip, *, to="MSZ", class_code="STANDARD", count=1, origin="KGL"):
    return pos_sale_create(
        agent=agent,
        trip_id=trip.pk,
        origin_code=origin,
        destination_code=to,
        class_code=class_code,
        quota="GENERAL",
        passengers=[adult(f"Online {i}") for i in range(count)],
        buyer_name="Eric",
        buyer_phone="+250788000000",
        now=NOW,
    )


def test_seats_sold_online_meanwhile_get_per_sale_answers_and_the_drawer_equals_the_ledger():
    trip = make_rwanda_bus(layout=("BUS22", 2))
    company = trip.route.company
    seats = Seat.objects.filter(coach__vehicle=trip.vehicle).count()
    till, device = enrolled(company)
    # Offline, the device sells three seats (taking 100 more than the fare), a sale to a
    # station the bus does not call at, and one on a bus that will have left.
    offline = till.records(trip, 3, amount=FARE + 100)
    offline.append(till.record(trip, to="NOWHERE"))
    gone = Trip.objects.create(
        route=trip.route,
        service_date=NOW.date(),
        departure_at=NOW - timedelta(hours=1),
        arrival_at=NOW + timedelta(hours=3),
        vehicle=trip.vehicle,
    )
    offline.append(till.record(gone))
    # Meanwhile another agent sells all the seats but one online.
    online = agent_of(company)
    sold = [_sell_online(online, trip) for _ in range(seats - 1)]

    answer = till.sync(offline)

    assert answer.ok
    results = [(r.result, r.cash_to_return) for r in answer.records]
    assert results == [
        ("booked", 100),  # the last seat, and the 100 taken over the fare given back
        ("refused", FARE + 100),  # sold out meanwhile: all the cash back
        ("refused", FARE + 100),
        ("refused", FARE),  # bad fields
        ("refused", FARE),  # departed
    ]
    assert all(r.reason for r in answer.records[1:])
    booked = answer.records[0].pnr
    assert (booked.buyer_name, booked.user) == ("Aline Uwase", device.agent)
    assert SyncRecord.objects.filter(device=device).count() == 5
    device.refresh_from_db()
    assert device.last_seq == 5
    assert drawer_balance(device.agent) == FARE == cash_sales_less_refunds(device.agent)
    assert drawer_balance(online) == sum(p.total_fare for p in sold)
    # Synced again, the same answers, nothing more booked.
    again = till.sync(offline)
    assert [(r.result, r.cash_to_return) for r in again.records] == results
    assert Pnr.objects.count() == seats
    assert broken_invariants() == {}


def test_on_a_railway_a_sale_that_finds_no_berth_is_waitlisted_and_paid():
    trip = make_trip(departure=datetime(2030, 1, 7, 8, 0, tzinfo=IST))
    company = trip.route.company
    till, device = enrolled(company)
    offline = till.records(
        trip,
        1,
        amount=1_000_000,
        to="ST3",
        **{"from": "ST1", "class": "SL", "currency": company.currency},
    )
    online = agent_of(company)
    while True:
        pnr = _sell_online(online, trip, origin="ST1", to="ST3", class_code="SL", count=6)
        if pnr.passengers.filter(status="WL").exists():
            break

    answer = till.sync(offline)

    record = answer.records[0]
    assert record.result == "waitlisted"
    assert record.pnr.passengers.get().status == "WL"
    assert record.cash_to_return == 1_000_000 - record.pnr.total_fare
    assert drawer_balance(device.agent, company.currency) == record.pnr.total_fare
    assert broken_invariants() == {}
