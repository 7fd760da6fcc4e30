"""What the stateful booking test checks after every step: the database holds what the
reference model says (every passenger, PNR, place and wallet, whether promotion is due), and
every invariant of DESIGN.md section 7 holds."""

from hypothesis.stateful import invariant

from payments.models import Account
from ttms.invariants import broken_invariants

from ..models import Passenger, Place, Pnr, TripClass
from . import reference_model as model
from .stateful_train import PASSENGER_FIELDS, WAITING, split


class ModelChecks:
    """The invariants of `BookingMachine`: its `trip`, `trip_class_id`, `train` (the model),
    `pnrs`, `users` and `balances` against the database, once a run has begun; and what the
    database holds for the passengers the model has waiting, which a promotion is checked
    against."""

    def _waiting_now(self) -> dict[tuple[int, int], model.Given]:
        """What the code holds for each passenger the model has waiting (RAC or WL)."""
        waiting = {(r.pnr, r.index) for r in self.train.riders.values() if r.status in WAITING}
        return {
            (pnr, index): model.Given(status, quota, self.train.by_seat.get((seat_id, half)))
            for pnr, index, status, quota, seat_id, half in Passenger.objects.filter(
                pnr__trip=self.trip
            ).values_list("pnr_id", "index", "status", "quota", "seat_id", "half")
            if (pnr, index) in waiting
        }

    @invariant()
    def passengers_are_where_the_model_puts_them(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Passenger.objects.filter(pnr__trip=self.trip).values_list(
            "pnr_id", "index", *PASSENGER_FIELDS
        )
        assert {(r[0], r[1]): r[2:] for r in rows} == {
            key: (
                r.status,
                r.booking_status,
                r.quota,
                r.place.seat_id if r.place else None,
                r.place.half if r.place else 0,
                r.fare,
                r.refund,
            )
            for key, r in self.train.riders.items()
        }

    @invariant()
    def pnrs_are_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Pnr.objects.filter(trip=self.trip).values_list(
            "pk", "quota", "total_fare", "legs_low", "legs_high"
        )
        assert {r[0]: r[1:] for r in rows} == self.pnrs

    @invariant()
    def places_are_taken_on_the_legs_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Place.objects.filter(trip_class_id=self.trip_class_id).values_list(
            "pk", "legs_low", "legs_high"
        )
        assert {pk: (low, high) for pk, low, high in rows} == {
            pk: split(place.legs) for pk, place in self.train.places.items()
        }

    @invariant()
    def wallets_hold_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        balances = dict(
            Account.objects.filter(kind=Account.Kind.WALLET, user__in=self.users).values_list(
                "user_id", "balance"
            )
        )
        assert [balances[u.pk] for u in self.users] == self.balances

    @invariant()
    def promotion_is_due_when_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        due = TripClass.objects.values_list("promotion_due", flat=True).get(pk=self.trip_class_id)
        assert due == self.train.promotion_due

    @invariant()
    def every_invariant_holds(self):
        if not hasattr(self, "_atomic"):
            return
        assert broken_invariants() == {}
