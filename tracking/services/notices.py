"""What a trip's stop events tell its passengers: the vehicle approaching their boarding
stop, and the trip running late. Written with the stop events (`stops.stop_events_record`,
in the trail task, off the publishing path)."""

from datetime import datetime, timedelta

from django.conf import settings

from booking.models import ACTIVE_STATUSES, Pnr
from fleet.models import RouteStop, Trip
from ttms.notifications.services import Message, outbox_add

ARRIVED, DEPARTED = "arrived", "departed"


def delay_step(delay_minutes: float) -> int:
    """The delay threshold reached: 0 below TTMS_DELAY_NOTIFY_MINUTES, else the largest of
    it, twice it, four times it... not above `delay_minutes`."""
    base = getattr(settings, "TTMS_DELAY_NOTIFY_MINUTES", 15)
    if base <= 0 or delay_minutes < base:
        return 0
    step = base
    while step * 2 <= delay_minutes:
        step *= 2
    return step


def stop_events_tell(*, trip: Trip, events: list[dict]) -> int:
    """From a batch of the trip's stop events ([{kind, sequence, at}]): when the vehicle
    leaves a stop, "vehicle.approaching" to each PNR boarding at the next one (with the
    ETA: the departure plus the scheduled running time, the delay carried along); and when
    an arrival or departure is later than the timetable by a new step (`delay_step`),
    "trip.delayed" to each PNR not yet at its destination. Once per trip, PNR (and step):
    replayed events write nothing new. Returns how many messages it wrote; call it in the
    transaction that records the events."""
    stops = {
        seq: (arrival, departure, name)
        for seq, arrival, departure, name in RouteStop.objects.filter(
            route_id=trip.route_id
        ).values_list("sequence", "arrival_offset", "departure_offset", "station__name")
    }
    timed = []
    for event in events:
        kind, sequence = event.get("kind"), event.get("sequence")
        if kind not in (ARRIVED, DEPARTED) or sequence not in stops:
            continue
        arrival, departure, _name = stops[sequence]
        offset = (departure if kind == DEPARTED else arrival) or arrival or departure or 0
        at = datetime.fromisoformat(event["at"])
        late = (at - (trip.departure_at + timedelta(minutes=offset))).total_seconds() / 60
        timed.append((kind, sequence, at, late))
    if not timed:
        return 0
    pnrs = list(
        Pnr.objects.filter(trip_id=trip.pk, passengers__status__in=ACTIVE_STATUSES)
        .distinct()
        .order_by("pk")
        .values_list("number", "user_id", "origin_sequence", "destination_sequence")
    )
    messages = []
    order = sorted(stops)
    for kind, sequence, at, _late in timed:
        if kind != DEPARTED:
            continue
        later = [s for s in order if s > sequence]
        if not later:
            continue
        following = later[0]
        arrival, departure, name = stops[following]
        ahead = (arrival or departure or 0) - (stops[sequence][1] or stops[sequence][0] or 0)
        eta = at + timedelta(minutes=max(ahead, 0))
        messages += [
            Message(
                topic="vehicle.approaching",
                user_id=user_id,
                payload={"pnr": number, "trip": trip.pk, "station": name, "eta": eta.isoformat()},
                dedupe_key=f"vehicle.approaching:{trip.pk}:{number}",
            )
            for number, user_id, origin, _destination in pnrs
            if origin == following
        ]
    _kind, sequence, _at, late = max(timed, key=lambda t: (t[2], t[1]))
    step = delay_step(late)
    if step:
        messages += [
            Message(
                topic="trip.delayed",
                user_id=user_id,
                payload={"pnr": number, "trip": trip.pk, "delay_minutes": round(late)},
                dedupe_key=f"trip.delayed:{trip.pk}:{number}:{step}",
            )
            for number, user_id, _origin, destination in pnrs
            if destination > sequence
        ]
    return outbox_add(messages=messages) if messages else 0
