"""The booking form's draft: the passengers and quota a person filled in, checked as
`booking_create` would check them, kept in their session under a one-time random key, then
reviewed against the wallet and paid for once.

The booking page maps requests to these calls and their results to templates; the rules
(the checks, the fare, the passenger limit, paying once) live here and in `create`.
"""

import uuid
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils.translation import gettext

from fleet.models import BerthType
from payments.exceptions import IdempotencyRequestInFlight
from payments.idempotency import submit_once
from payments.ledger import selectors as wallet_selectors
from payments.topups.services import topup_limits
from ttms.accounts.models import User
from ttms.exceptions import DomainError

from ... import rules
from ...models import BerthPreference, Gender, Quota
from ..fares import booking_fare
from .create import booking_create
from .precheck import BookingPlan, PassengerIn, booking_precheck

# The session key the drafts are kept under, and how many are kept (the newest).
SESSION_KEY = "booking_drafts"
DRAFTS_KEPT = 5
# The idempotency scope of a draft's payment: its key is the draft's.
PAY_SCOPE = "booking.page"

Draft = dict  # JSON-able, as sessions keep it: from, to, class, quota, passengers, ...


def draft_get(*, session: MutableMapping, key: str) -> Draft | None:
    """The draft kept in `session` under `key`, or None (never made, or pushed out by
    `DRAFTS_KEPT` newer ones). Writes nothing."""
    return session.get(SESSION_KEY, {}).get(key) if key else None


def draft_start(
    *,
    session: MutableMapping,
    trip_id: int,
    origin_code: str,
    destination_code: str,
    class_code: str,
    quota: str,
    only_if_all_confirmed: bool,
    passengers: list[PassengerIn],
    now: datetime,
) -> str:
    """Keep a filled-in booking form in `session` when `booking_create` would take it now
    (`booking_precheck`: but for the wallet, the seats and what changes meanwhile), and
    return its new random key; only the `DRAFTS_KEPT` newest drafts are kept.

    Raises what `booking_precheck` raises (InvalidBooking, with `fields` by passenger
    index; TripNotBookable; BookingNotOpen), and then keeps nothing.
    """
    draft = {
        "from": origin_code,
        "to": destination_code,
        "class": class_code,
        "quota": quota,
        "only_if_all_confirmed": only_if_all_confirmed,
        "passengers": [asdict(p) for p in passengers],
    }
    _plan(trip_id, draft, now=now)
    drafts = session.setdefault(SESSION_KEY, {})
    key = uuid.uuid4().hex
    drafts[key] = draft
    for old in list(drafts)[:-DRAFTS_KEPT]:
        del drafts[old]
    session.modified = True
    return key


def draft_rows(draft: Draft) -> list[dict]:
    """The draft's passengers as the passengers form shows them again, to change them."""
    return [
        {
            **p,
            "passport": p["passport_number"],
            "seat": f"{p['coach']}-{p['seat']}" if p["coach"] else "",
        }
        for p in draft["passengers"]
    ]


def passenger_rows_change(
    *, rows: list[dict], action: str, limit: int = rules.MAX_PASSENGERS
) -> list[dict]:
    """The passengers form's rows after its "add" (one empty row more, up to `limit`: the
    trip operator's `rules.max_passengers`, by default the most any quota takes,
    `rules.MAX_PASSENGERS`) or "remove-<index>" (that row gone, keeping one) button; any
    other action, or one past a limit, leaves them as they are."""
    rows = list(rows)
    if action == "add" and len(rows) < min(limit, rules.MAX_PASSENGERS):
        rows.append({})
    elif action.startswith("remove-") and len(rows) > 1:
        index = action.removeprefix("remove-")
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
    return rows


@dataclass(frozen=True)
class Review:
    """The fare breakdown of a draft booking, and the wallet against it: `quota` asked for,
    `booked_quota` really used (General when the passengers may not use `quota`), the fare
    per passenger and the General one, the total, the balance, how much is `short`, and the
    top-up offered then (at least the least top-up in the operator's currency,
    `TTMS_TOPUP_LIMITS`)."""

    quota: str
    booked_quota: str
    eligible: bool
    fare: int
    base_fare: int
    count: int
    total: int
    balance: int
    short: int
    topup: int


@dataclass(frozen=True)
class ReviewLine:
    """A passenger of a draft as its review lists them."""

    name: str
    age: int
    gender_label: str
    berth_label: str
    coach: str
    seat: str


@dataclass(frozen=True)
class DraftReview:
    """What the review of a draft shows: its passengers, and `review` when `booking_create`
    would take the draft now; else `review` is None and `error` and `status` say why."""

    passengers: list[ReviewLine]
    review: Review | None
    error: str = ""
    status: int = 200


def draft_review(*, trip_id: int, draft: Draft, user: User, now: datetime) -> DraftReview:
    """The review of `draft` on trip `trip_id` for `user`: the checks `booking_create`
    makes before its lock (`booking_precheck`), the fare, and `user`'s wallet. Writes
    nothing; a refusal is returned, not raised."""
    try:
        plan = _plan(trip_id, draft, now=now)
    except DomainError as exc:
        berths = [""] * len(draft["passengers"])
        return DraftReview(_lines(draft, berths), None, exc.message, exc.status_code)
    return DraftReview(_lines(draft, plan.berths), _review(plan, draft, user))


@dataclass(frozen=True)
class DraftPayment:
    """What Pay did: the PNR booked (also when an earlier press booked it), or why not
    (`error`, `status`) with nothing written."""

    pnr: str = ""
    error: str = ""
    status: int = 200


def draft_pay(*, session: MutableMapping, key: str, trip_id: int, user: User) -> DraftPayment:
    """Book and pay for the draft kept under `key`, once: the key is the booking's
    idempotency key (`submit_once`), so a second press of Pay gets the PNR the first one
    made, and the draft then answers that PNR (`draft["pnr"]`). A refusal of
    `booking_create` (or a press while the first is still running) is returned, and then
    nothing is written. Opens its own durable transaction: call it outside any."""
    draft = draft_get(session=session, key=key)
    if draft is None:
        return DraftPayment(
            error=gettext("That booking form has expired; please fill it in again."),
            status=404,
        )

    def run(record) -> dict:
        pnr = booking_create(
            user=user,
            trip_id=trip_id,
            origin_code=draft["from"],
            destination_code=draft["to"],
            class_code=draft["class"],
            quota=draft["quota"],
            passengers=_passengers(draft),
            only_if_all_confirmed=draft["only_if_all_confirmed"],
            idempotency_record=record,
        )
        return {"pnr": pnr.number}

    try:
        answer, _replayed = submit_once(user_id=user.pk, scope=PAY_SCOPE, key=key, run=run)
    except IdempotencyRequestInFlight as exc:
        return DraftPayment(
            error=gettext(
                "This booking is already being paid for in another window. Reload this "
                "page in a moment to see its PNR."
            ),
            status=exc.status_code,
        )
    except DomainError as exc:
        return DraftPayment(error=exc.message, status=exc.status_code)
    draft["pnr"] = answer["pnr"]  # the form is spent: sending it again shows this PNR
    session.modified = True
    return DraftPayment(pnr=answer["pnr"])


def _passengers(draft: Draft) -> list[PassengerIn]:
    return [PassengerIn(**p) for p in draft["passengers"]]


def _plan(trip_id: int, draft: Draft, *, now: datetime) -> BookingPlan:
    """The draft as `booking_create` would take it now. Raises what `booking_precheck`
    raises."""
    return booking_precheck(
        trip_id=trip_id,
        origin_code=draft["from"],
        destination_code=draft["to"],
        class_code=draft["class"],
        quota=draft["quota"],
        passengers=_passengers(draft),
        now=now,
    )


def _review(plan: BookingPlan, draft: Draft, user: User) -> Review:
    journey = plan.journey
    base = (
        plan.fare
        if plan.quota == Quota.GENERAL
        else booking_fare(
            company_id=journey.trip.route.company_id,
            class_code=plan.class_code,
            route_id=journey.trip.route_id,
            origin_id=journey.origin.station_id,
            destination_id=journey.destination.station_id,
            distance_km=journey.distance_km,
            quota=Quota.GENERAL,
            travellers=plan.travellers,
        )[1]
    )
    count = len(plan.travellers)
    total = plan.fare * count
    wallet = wallet_selectors.wallet_for_user(
        user=user, currency=journey.trip.route.company.currency
    )
    balance = wallet.balance if wallet else 0
    short = max(0, total - balance)
    return Review(
        draft["quota"],
        plan.quota,
        plan.quota == draft["quota"],
        plan.fare,
        base,
        count,
        total,
        balance,
        short,
        max(short, topup_limits(currency=journey.trip.route.company.currency)[0]) if short else 0,
    )


def _berth_label(preference: str, seat_berth: str) -> str:
    """What the review says of a passenger's berth: that of the seat picked ("Middle
    berth"), else the preference ("Upper (preferred)"), else "No preference"."""
    if seat_berth:
        return BerthType(seat_berth).label
    if preference:
        return gettext("{berth} (preferred)").format(
            berth=dict(BerthPreference.choices).get(preference, preference)
        )
    return gettext("No preference")


def _lines(draft: Draft, seat_berths: list[str]) -> list[ReviewLine]:
    genders = dict(Gender.choices)
    return [
        ReviewLine(
            p["name"],
            p["age"],
            genders.get(p["gender"], p["gender"]),
            _berth_label(p["berth_preference"], berth),
            p["coach"],
            p["seat"],
        )
        for p, berth in zip(draft["passengers"], seat_berths, strict=True)
    ]
