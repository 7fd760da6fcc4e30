"""Random offline sessions on several devices, online sales in between, tampered batches
and batches sent again, checked step by step: every sale is booked at most once, a
tampered batch changes nothing, no seat is sold twice, each drawer holds what the ledger
says its agent took, and every invariant of the project holds."""

import uuid

import hypothesis.strategies as st
import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from booking.exceptions import SoldOut
from booking.models import SEATED_STATUSES, Passenger, Pnr, SyncRecord
from booking.models.pos import AuditCase
from booking.pos import chain
from booking.tests.buses import make_rwanda_bus
from fleet.models import Seat
from ttms.invariants import run_checks

from .test_sync import Till, _sell_online, agent_of, drawer_balance, enrolled

DEVICES = 3
device_index = st.integers(min_value=0, max_value=DEVICES - 1)
TAMPERING = ("altered", "removed", "duplicated", "reordered", "foreign_key")


class SyncMachine(RuleBasedStateMachine):
    """Each run happens in a savepoint rolled back at teardown."""

    @initialize()
    def open_the_counter(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.trip = make_rwanda_bus(layout=("BUS22", 2))
        self.company = self.trip.route.company
        self.seats = Seat.objects.filter(coach__vehicle=self.trip.vehicle).count()
        self.tills, self.devices = [], []
        for i in range(DEVICES):
            till, device = enrolled(self.company, device_id=f"POS-{i}")
            self.tills.append(till)
            self.devices.append(device)
        self.online = agent_of(self.company)
        self.chains = [[] for _ in range(DEVICES)]  # every record each device made
        self.synced = [0] * DEVICES  # how many of them the server took
        self.online_sold = 0
        self.cases = 0

    def teardown(self):
        if hasattr(self, "_atomic"):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    @rule(d=device_index, passengers=st.integers(min_value=1, max_value=2))
    def sell_offline(self, d, passengers):
        self.chains[d].append(self.tills[d].record(self.trip, passengers=passengers))

    @rule()
    def sell_online(self):
        try:
            _sell_online(self.online, self.trip)
        except SoldOut:
            return
        self.online_sold += 1

    @precondition(lambda self: any(self.chains))
    @rule(d=device_index, back=st.integers(min_value=0, max_value=3))
    def sync(self, d, back):
        """Send what was not synced, with up to `back` records already synced before it."""
        start = max(0, self.synced[d] - back)
        records = self.chains[d][start:]
        if not records:
            return
        answer = self.tills[d].sync(records)
        assert answer.ok, answer.reason
        assert answer.new == {r["seq"] for r in self.chains[d][self.synced[d] :]}
        assert [r.client_uuid for r in answer.records] == [
            uuid.UUID(r["client_uuid"]) for r in records
        ]
        self.synced[d] = len(self.chains[d])

    @precondition(lambda self: any(len(c) >= 2 for c in self.chains))
    @rule(d=device_index, kind=st.sampled_from(TAMPERING), data=st.data())
    def tamper(self, d, kind, data):
        records = [dict(r) for r in self.chains[d]]
        if len(records) < 2:
            return
        i = data.draw(st.integers(min_value=0, max_value=len(records) - 2))
        till = self.tills[d]
        signature = None
        if kind == "altered":
            records[i]["sale"] = {**records[i]["sale"], "amount": 1}
        elif kind == "removed":
            if len(records) < 3:
                return
            del records[max(i, 1)]
        elif kind == "duplicated":
            records.insert(i + 1, records[i])
        elif kind == "reordered":
            records[i], records[i + 1] = records[i + 1], records[i]
        else:
            signature = Till(till.device_id).sign(records)
        before = (Pnr.objects.count(), SyncRecord.objects.count())
        answer = till.sync(records, signature=signature)
        assert not answer.ok
        self.cases += 1
        assert (Pnr.objects.count(), SyncRecord.objects.count()) == before
        assert (
            answer.reason
            in {
                "altered": {chain.ALTERED},
                "removed": {chain.GAP},
                "duplicated": {chain.DUPLICATED},
                # Records 2, 1: the batch starts after a record the server does not hold.
                "reordered": {chain.REORDERED, chain.GAP},
                "foreign_key": {chain.BAD_SIGNATURE},
            }[kind]
        )

    @invariant()
    def every_sale_is_kept_once_and_the_devices_are_where_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        for d, device in enumerate(self.devices):
            device.refresh_from_db()
            assert device.last_seq == self.synced[d]
            kept = list(SyncRecord.objects.filter(device=device).values_list("seq", flat=True))
            assert kept == list(range(1, self.synced[d] + 1))
        assert AuditCase.objects.count() == self.cases
        cash_pnrs = SyncRecord.objects.exclude(pnr=None).values_list("pnr_id", flat=True)
        assert len(set(cash_pnrs)) == len(cash_pnrs)
        assert Pnr.objects.count() == len(cash_pnrs) + self.online_sold

    @invariant()
    def no_seat_is_sold_twice_and_drawers_equal_the_ledger(self):
        if not hasattr(self, "_atomic"):
            return
        seated = Passenger.objects.filter(status__in=SEATED_STATUSES)
        assert seated.count() <= self.seats
        assert seated.values("seat_id").distinct().count() == seated.count()
        for device in self.devices:
            took = sum(
                r.pnr.total_fare for r in SyncRecord.objects.filter(device=device).exclude(pnr=None)
            )
            assert drawer_balance(device.agent, self.company.currency) == took
        assert drawer_balance(self.online, self.company.currency) == sum(
            Pnr.objects.filter(user=self.online).values_list("total_fare", flat=True)
        )

    @invariant()
    def every_invariant_holds(self):
        if hasattr(self, "_atomic"):
            problems = run_checks()
            assert problems == {name: [] for name in problems}


@pytest.mark.django_db
def test_random_offline_sessions_book_each_sale_at_most_once():
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        ),
    )
