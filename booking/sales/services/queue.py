"""A trip class's queue, under its lock: those waiting (RAC, WL) move into places that free
up before anyone new is seated (DESIGN.md section 5, first come first served).

Sales owns the queue because a booking that finds the promotion due runs it first, under
the same lock (`booking.locks.trip_class_lock`, held by every writer of the class's places
and queue); the lifecycle (cancellation, charting, the promotion task) calls it too.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ttms.audit.services import audit_record
from ttms.notifications.services import Message, outbox_add

from ... import rules
from ...models import Passenger, PassengerStatus, Place, Promotion, TripClass

WAITING_STATUSES = (PassengerStatus.RAC, PassengerStatus.WAITLISTED)


@dataclass
class ClassState:
    """A trip class's places and waiting passengers, read under its lock; moves are applied
    to it in memory first (`apply`), then written once (`save`)."""

    trip_class: TripClass
    places: list[rules.FreePlace]
    occupied: dict[int, int]  # place id -> legs
    waiting: list[rules.Waiting]
    owners: dict[int, tuple]  # passenger id -> (user id, PNR number, index, name, status)
    moves: list[rules.Move]

    @classmethod
    def load(cls, trip_class: TripClass) -> "ClassState":
        """Two queries: the class's places, its RAC and WL passengers in queue order."""
        places, occupied, by_seat = [], {}, {}
        rows = (
            Place.objects.filter(trip_class=trip_class)
            .order_by("order", "half")
            .values_list(
                "pk",
                "seat_id",
                "coach_id",
                "order",
                "berth_type",
                "quota",
                "half",
                "seat_number",
                "coach_code",
                "legs_low",
                "legs_high",
            )
        )
        for *fields, low, high in rows:
            place = rules.FreePlace(*fields)
            places.append(place)
            occupied[place.place_id] = rules.join_mask(low, high)
            by_seat[place.seat_id, place.half] = place.place_id
        waiting, owners = [], {}
        passengers = (
            Passenger.objects.filter(trip_class=trip_class, status__in=WAITING_STATUSES)
            .order_by("pk")
            .values_list(
                "pk",
                "pnr_id",
                "status",
                "quota",
                "age",
                "gender",
                "berth_preference",
                "seat_id",
                "half",
                "pnr__legs_low",
                "pnr__legs_high",
                "pnr__user_id",
                "pnr__number",
                "index",
                "name",
            )
        )
        for (
            pk,
            pnr_id,
            status,
            quota,
            age,
            gender,
            preference,
            seat_id,
            half,
            low,
            high,
            user_id,
            number,
            index,
            name,
        ) in passengers:
            waiting.append(
                rules.Waiting(
                    pk,
                    pnr_id,
                    status,
                    quota,
                    rules.join_mask(low, high),
                    rules.Traveller(age, gender, preference),
                    by_seat.get((seat_id, half)) if status == PassengerStatus.RAC else None,
                )
            )
            owners[pk] = (user_id, number, index, name, status)
        return cls(trip_class, places, occupied, waiting, owners, [])

    def apply(self, moves: Sequence[rules.Move]) -> None:
        """Take `moves` into the state: legs, the waiting list (a passenger now RAC waits
        as RAC, one now CNF no longer waits)."""
        moved = {m.passenger_id: m for m in moves}
        masks = {w.passenger_id: w.mask for w in self.waiting}
        for move in moves:
            mask = masks[move.passenger_id]
            self.occupied[move.place.place_id] |= mask
            if move.released_place_id is not None:
                self.occupied[move.released_place_id] &= ~mask
        waiting = []
        for waiter in self.waiting:
            move = moved.get(waiter.passenger_id)
            if move is None:
                waiting.append(waiter)
            elif move.status == PassengerStatus.RAC:
                waiting.append(
                    rules.Waiting(
                        waiter.passenger_id,
                        waiter.pnr_id,
                        move.status,
                        waiter.quota,
                        waiter.mask,
                        waiter.traveller,
                        move.place.place_id,
                    )
                )
        # The queue stays in booking order: RAC passengers are taken before WL ones anyway.
        self.waiting = sorted(waiting, key=lambda w: w.passenger_id)
        self.moves.extend(moves)

    def promote(self) -> None:
        self.apply(rules.promote(self.waiting, self.places, self.occupied))

    def release(self, *, quota: str, eligible: Callable[[rules.Traveller], bool]) -> None:
        self.apply(
            rules.release(self.waiting, self.places, self.occupied, quota=quota, eligible=eligible)
        )

    def save(self, *, cause: str, now: datetime) -> list[Promotion]:
        """Write the moves: passengers, the places whose legs changed, one Promotion and one
        outbox message per move, and clear the class's `promotion_due`."""
        if self.trip_class.promotion_due:
            TripClass.objects.filter(pk=self.trip_class.pk).update(promotion_due=False)
            self.trip_class.promotion_due = False
        if not self.moves:
            return []
        final: dict[int, rules.Move] = {}
        for move in self.moves:  # WL → RAC → CNF in one run: the last move is where they sit
            final[move.passenger_id] = move
        passengers = []
        for pk, move in final.items():
            passengers.append(
                Passenger(
                    pk=pk,
                    status=move.status,
                    quota=move.quota,
                    seat_id=move.place.seat_id,
                    half=move.place.half,
                )
            )
        Passenger.objects.bulk_update(passengers, ["status", "quota", "seat", "half"])
        changed = {m.place.place_id for m in self.moves} | {
            m.released_place_id for m in self.moves
        } - {None}
        Place.objects.bulk_update(
            [
                Place(pk=pk, legs_low=low, legs_high=high)
                for pk in sorted(changed)
                for low, high in [rules.split_mask(self.occupied[pk])]
            ],
            ["legs_low", "legs_high"],
        )
        promotions = [
            Promotion(
                passenger_id=m.passenger_id,
                trip_class=self.trip_class,
                from_status=self.owners[m.passenger_id][4],
                to_status=m.status,
                seat_id=m.place.seat_id,
                half=m.place.half,
                cause=cause,
                created_at=now,
            )
            for m in final.values()
        ]
        Promotion.objects.bulk_create(promotions)
        outbox_add(messages=[self._message(m) for m in final.values()], now=now)
        audit_record(
            actor="system:promotion",
            action="promotion.run",
            target=self.trip_class.trip,
            data={
                "class": self.trip_class.class_code,
                "cause": cause,
                "moves": [self._audit_move(m) for m in final.values()],
            },
        )
        return promotions

    def _audit_move(self, move: rules.Move) -> dict:
        _, number, index, _, status = self.owners[move.passenger_id]
        return {
            "pnr": number,
            "passenger": index,
            "from": status,
            "to": move.status,
            "coach": move.place.coach_code,
            "seat": move.place.seat_number,
            "half": move.place.half,
        }

    def _message(self, move: rules.Move) -> Message:
        user_id, number, index, name, status = self.owners[move.passenger_id]
        return Message(
            topic="passenger.promoted",
            user_id=user_id,
            payload={
                "pnr": number,
                "passenger": index,
                "name": name,
                "from": status,
                "to": move.status,
                "coach": move.place.coach_code,
                "seat": move.place.seat_number,
                "berth": move.place.berth_type,
            },
            # A passenger reaches each status once (WL, then RAC, then CNF; never back).
            dedupe_key=f"passenger.promoted:{move.passenger_id}:{move.status}",
        )


def promote_locked(
    trip_class: TripClass, *, cause: str = Promotion.Cause.CANCELLATION, now: datetime | None = None
) -> list[Promotion]:
    """Promote everyone who fits in `trip_class`, whose row the caller has locked in the
    current transaction. Returns the promotions written (none: nobody fits)."""
    state = ClassState.load(trip_class)
    state.promote()
    return state.save(cause=cause, now=now or timezone.now())
