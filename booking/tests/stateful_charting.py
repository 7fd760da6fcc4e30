"""The stateful test's last step: the chart (DESIGN.md section 5, Charting), checked against
properties any correct charting has rather than against the code's choice of seats:

- afterwards every place is GENERAL or RAC (each quota's unused seats are released);
- nobody still waits (RAC or WL) while a whole seat is free on all their legs, and no WL
  passenger while an RAC half berth is;
- a woman still waiting (or dropped) found every LADIES seat that was free on her legs
  before charting taken, on her legs, by a woman charting moved there: the unused LADIES
  seats go to waiting women first;
- exactly the PNRs with nobody seated and someone still WL are dropped: each such
  passenger cancelled with the whole fare refunded (the wallets are then checked as at
  every step); a PNR with someone seated keeps its WL passengers;
- the chart is written, and nothing is due for promotion.

After it, charting again changes nothing; the sales after the chart are tested elsewhere."""

from hypothesis import event
from hypothesis.stateful import precondition, rule

from ..lifecycle.services.charting import chart_prepare
from ..models import Chart, Place, TripClass
from . import reference_model as model
from .stateful_train import WAITING

# The steps that sell or cancel run only until the chart is prepared.
before_the_chart = precondition(lambda self: not getattr(self, "charted", False))
KEPT = {model.GENERAL, model.RAC}


class ChartingStep:
    """`chart` for `BookingMachine` (its `trip`, `train`, `booked`, `balances`)."""

    # Once the train has filled (someone waits, six PNRs booked), so that runs still explore
    # the sales before it.
    @precondition(lambda self: len(self.booked) >= 6)
    @precondition(lambda self: any(r.status in WAITING for r in self.train.riders.values()))
    @before_the_chart
    @rule()
    def chart(self):
        self.charted = True
        train = self.train
        ladies_free = {
            p.id: p.legs for p in train.places.values() if p.quota == model.LADIES and not p.half
        }
        active = {k: r for k, r in train.riders.items() if r.status != model.CAN}
        was = {k: r.status for k, r in active.items()}
        # Charting commits each step in a durable transaction of its own; the run's rollback
        # block stands for the test case's, as Django's TestCase's does.
        self._atomic._from_testcase = True
        chart_prepare(trip=self.trip, now=self.now)

        quotas = set(
            Place.objects.filter(trip_class_id=self.trip_class_id).values_list("quota", flat=True)
        )
        assert quotas <= KEPT, f"charting left {quotas - KEPT} places"
        for place in train.places.values():
            if place.quota not in KEPT:
                place.quota = model.GENERAL

        after = self._waiting_now()
        dropped = {key for key, given in after.items() if given.status == model.CAN}
        for key in sorted(dropped):
            rider = train.riders[key]
            assert rider.status == model.WL, f"{rider} dropped though not waitlisted"
            rider.status, rider.refund = model.CAN, rider.fare
            self.balances[self.booked[rider.pnr][0]] += rider.fare
        train.apply({key: g for key, g in after.items() if key not in dropped})
        moved = {k for k, g in after.items() if k not in dropped and g.status != was[k]}

        seated = {r.pnr for r in train.riders.values() if r.status in (model.CNF, model.RAC)}
        for key, rider in active.items():
            assert (key in dropped) == (rider.pnr not in seated), (
                f"{rider}: dropped {key in dropped}, though its PNR "
                f"{'has' if rider.pnr in seated else 'has no'} passenger seated"
            )
        for rider in (r for r in train.riders.values() if r.status in WAITING):
            seats = train.seats(rider.mask, [model.GENERAL])
            halves = train.halves(rider.mask) if rider.status == model.WL else []
            assert not seats and not halves, f"{rider} still waits, though {seats or halves} fit"
        for key, rider in active.items():
            if rider.person.gender != "F" or train.riders[key].status not in (*WAITING, model.CAN):
                continue
            for place_id, legs in ladies_free.items():
                if legs & rider.mask:
                    continue
                place = train.places[place_id]
                held = [
                    r
                    for k, r in train.riders.items()
                    if r.place is place and r.mask & rider.mask and k in moved
                ]
                assert any(r.person.gender == "F" for r in held), (
                    f"{rider} still waits; LADIES seat {place.coach_code}/{place.seat_number} "
                    f"was free on her legs and went to {held}"
                )

        self.chart_id = Chart.objects.get(trip=self.trip).pk
        assert not TripClass.objects.get(pk=self.trip_class_id).promotion_due
        event(f"charting dropped {len({k[0] for k in dropped})} PNR(s)")
        event(f"charting moved {len(moved)} passenger(s)")

    @precondition(lambda self: getattr(self, "charted", False))
    @rule()
    def chart_again(self):
        """Charting a charted trip returns its chart and changes nothing (the model is
        unchanged, so every check of the machine says so)."""
        assert chart_prepare(trip=self.trip, now=self.now).pk == self.chart_id
