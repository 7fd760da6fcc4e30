"""The assistant's answer to a phrase: the phrase understood as a `TripQuery` (by the
configured language model when there is one and its answer holds, else by the offline
parser), then the trips the results page would list for it, narrowed to what the phrase
asked (a time of day, a class, seats for everyone in the asked quota), each class with its
availability, fare and a link to its seat map with everything filled in; or one question
back.

Nothing the model writes is shown: it only fills the query's JSON, which is validated here
(`TripQuery.from_json`, then every code against the database); every sentence the
passenger reads is built from the query through gettext.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext

from fleet.models import Company, Station, TravelClass
from fleet.selectors import TripOption, station_lookup, trip_search
from ttms import llm, money
from ttms.localtime import local, local_time

from ..models import BOOKABLE_QUOTAS, Pnr, Quota
from ..sales.selectors.availability import ClassAvailability, trips_availability, trips_refusals
from .parser import parse
from .query import MAX_PASSENGERS, Parsed, Question, TripQuery

logger = logging.getLogger(__name__)

MAX_TEXT = 300
# Stations the model may choose from: those the phrase's words match, never the whole table.
MAX_CANDIDATES = 12
ANSWERABLE = ("origin", "destination", "date", "passengers")
# Trips an answer lists at most; the results page it links to has them all.
MAX_TRIPS = 8


class AssistantInputError(ValueError):
    """What the passenger sent cannot be answered: `message` says why, `field` names what
    ("text", or "answers" for an answer to a question)."""

    def __init__(self, message: str, *, field: str = "text") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ClassOffer:
    """One class of a trip as the answer shows it: what a booking made now would get, the
    seats free in the asked quota (General seats count too, a booking falls back to them),
    the fare per passenger, and the seat map's address with the query filled in."""

    class_code: str
    label: str
    status: str
    free: int
    fits: bool  # seats free for every passenger asked
    fare: int | None  # minor units of `currency`; None: not on sale
    currency: str
    fare_text: str
    url: str


@dataclass(frozen=True)
class TripAnswer:
    option: TripOption
    departure_text: str  # "Sat 5 Dec, 16:00 CAT (Africa/Kigali)"
    arrival_text: str
    duration_minutes: int
    classes: tuple[ClassOffer, ...]

    @property
    def fits(self) -> bool:
        return any(offer.fits for offer in self.classes)


@dataclass(frozen=True)
class Answer:
    """`message`: the sentence that sums up the answer (or the question's text). `trips`:
    the trips to show, best first; `other_departures`: they are the day's other departures
    because none leaves in the asked window. `notes`: sentences shown after the trips.
    `source`: "llm" or "offline"."""

    query: TripQuery
    message: str
    question: Question | None = None
    unknown: tuple[str, ...] = ()
    trips: tuple[TripAnswer, ...] = ()
    other_departures: bool = False
    origin: Station | None = None
    destination: Station | None = None
    day: date | None = None
    results_url: str = ""
    source: str = "offline"
    notes: tuple[str, ...] = field(default=())


def user_home_station(user) -> str | None:
    """The code of the station the user last booked from (their latest PNR's boarding
    stop); None for anyone signed out or who never booked. One query."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Pnr.objects.filter(user=user)
        .order_by("-created_at", "-pk")
        .values_list("origin__code", flat=True)
        .first()
    )


def _candidates(text: str, parsed: Parsed) -> list[Station]:
    """The stations the phrase may mean: the offline parse's, its question's choices, and
    the lookup's best matches for each word."""
    codes = [parsed.query.origin, parsed.query.destination]
    if parsed.question:
        codes += [choice.value for choice in parsed.question.choices]
    found = {s.code: s for s in Station.objects.filter(code__in=[c for c in codes if c])}
    words = dict.fromkeys(w.strip(".,;:!?()\"'") for w in text.split())
    # A bounded number of lookups, however long the phrase.
    for word in [w for w in words if len(w) >= 3][:MAX_CANDIDATES]:
        if len(found) >= MAX_CANDIDATES:
            break
        for match in station_lookup(query=word, limit=3):
            found.setdefault(match.station.code, match.station)
    return list(found.values())[:MAX_CANDIDATES]


def _system_prompt(*, today: date, home: str | None, stations: list[Station]) -> str:
    listed = "\n".join(
        f"- {s.code}: {s.name}" + (f" ({s.city})" if s.city else "") for s in stations
    )
    classes = ", ".join(sorted(set(TravelClass.objects.values_list("code", flat=True))))
    quotas = ", ".join(q.value for q in BOOKABLE_QUOTAS if q != Quota.GENERAL)
    return (
        "You turn a passenger's request for an intercity train or bus trip into one JSON "
        "object and nothing else. Keys: origin, destination (station codes from the list "
        "below, or null), date (YYYY-MM-DD or null), after, before (departure window, HH:MM "
        "24-hour local time, or null), class (one of: "
        f"{classes}; or null), quota (one of: {quotas}; or null), passengers (1 to "
        f'{MAX_PASSENGERS}, default 1), sort ("cheapest", "fastest" or null), direct '
        "(true or false). Use no other key and no code outside the lists. "
        f"Today is {today.isoformat()} ({today:%A}). "
        + (f"When only a destination is named, the origin is {home}. " if home else "")
        + "Morning is 05:00-12:00, afternoon 12:00-17:00, evening 17:00-21:00, night from "
        "21:00. Stations:\n" + (listed or "(none matched)")
    )


def _checked(query: TripQuery, *, today: date) -> TripQuery:
    """`query` if every code in it exists and its date is not in the past; else ValueError."""
    codes = {c for c in (query.origin, query.destination) if c}
    if codes and Station.objects.filter(code__in=codes).count() != len(codes):
        raise ValueError(f"unknown station among {sorted(codes)}")
    if query.travel_class and not TravelClass.objects.filter(code=query.travel_class).exists():
        raise ValueError(f"unknown class {query.travel_class!r}")
    if query.quota and query.quota not in BOOKABLE_QUOTAS:
        raise ValueError(f"unknown quota {query.quota!r}")
    if query.date and query.date < today:
        raise ValueError(f"date {query.date} is in the past")
    if query.quota == Quota.GENERAL:
        query = query.merged(quota=None)
    return query


def _by_llm(text: str, *, today: date, home: str | None, offline: Parsed) -> Parsed | None:
    """The model's reading of `text`, validated; None when it is unusable (logged)."""
    system = _system_prompt(today=today, home=home, stations=_candidates(text, offline))
    data = llm.chat_json(system=system, user=text)
    if data is None:
        return None
    try:
        query = _checked(TripQuery.from_json(data), today=today)
    except ValueError as exc:
        logger.warning(
            "assistant: the model's query was refused (%s): %s", exc, json.dumps(data)[:500]
        )
        return None
    if query.origin is None and home:
        query = query.merged(origin=home)
    question = offline.question
    if question and getattr(query, question.field, None) is None:
        return Parsed(query, question, offline.unknown)
    return Parsed(query)


def _applied(parsed: Parsed, answers: dict[str, str], *, today: date) -> Parsed:
    """`parsed` with the passenger's answers to questions (field -> value) applied; the
    question is dropped once its field is answered. AssistantInputError for an unusable
    answer."""
    if not answers:
        return parsed
    changes: dict = {}
    for name, value in answers.items():
        if name not in ANSWERABLE:
            raise AssistantInputError(
                gettext("No question asks for {field}.").format(field=name), field="answers"
            )
        value = str(value).strip()
        if name in ("origin", "destination"):
            code = value.upper()
            if not Station.objects.filter(code=code).exists():
                raise AssistantInputError(
                    gettext("No station has the code {code}.").format(code=code), field="answers"
                )
            changes[name] = code
        elif name == "date":
            try:
                changes["date"] = date.fromisoformat(value)
            except ValueError:
                raise AssistantInputError(
                    gettext("Give the date as YYYY-MM-DD."), field="answers"
                ) from None
            if changes["date"] < today:
                raise AssistantInputError(gettext("That date has passed."), field="answers")
        else:
            if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PASSENGERS:
                raise AssistantInputError(
                    gettext("A booking is for 1 to {n} passengers.").format(n=MAX_PASSENGERS),
                    field="answers",
                )
            changes["passengers"] = int(value)
    question = parsed.question
    if question and question.field in changes:
        question = None
    return Parsed(parsed.query.merged(**changes), question, parsed.unknown)


def assistant_parse(
    *, text: str, today: date, home: str | None = None, answers: dict[str, str] | None = None
) -> tuple[Parsed, str]:
    """`text` understood: by the language model when one is configured and its answer holds
    (valid JSON of the query, existing codes), else by the offline parser; then the answers
    to questions applied. Returns the parse and its source ("llm" or "offline"). Raises
    AssistantInputError for an unusable answer."""
    offline = parse(text, today=today, home=home)
    parsed, source = offline, "offline"
    if llm.llm_configured() and (
        by_model := _by_llm(text, today=today, home=home, offline=offline)
    ):
        parsed, source = by_model, "llm"
    return _applied(parsed, answers or {}, today=today), source


def _class_label(item: ClassAvailability, company: Company) -> str:
    """ "Standard" on a bus, "SL" on a train, as the results page labels them."""
    if company.kind == Company.Kind.BUS:
        return item.class_name or item.class_code
    return item.class_code


def _status(item: ClassAvailability, company: Company) -> str:
    """As the results page says it: AVAILABLE-n, RAC n, WL n where the operator keeps RAC
    or a waiting list; else the seats free, or sold out."""
    operator = company.rules
    if operator.rac or operator.waitlist:
        return item.status
    if item.free_total:
        return ngettext("{n} seat free", "{n} seats free", item.free_total).format(
            n=item.free_total
        )
    return gettext("Sold out")


def _seat_map_url(option: TripOption, class_code: str, query: TripQuery) -> str:
    params = {"from": option.origin.code, "to": option.destination.code, "class": class_code}
    if query.quota:
        params["quota"] = query.quota
    if query.passengers > 1:
        params["passengers"] = query.passengers
    return reverse("booking:trip", args=[option.trip.pk]) + "?" + urlencode(params)


def _offers(option: TripOption, items, query: TripQuery) -> tuple[ClassOffer, ...]:
    company = option.trip.route.company
    quota = query.quota or Quota.GENERAL
    offers = []
    for item in items:
        if query.travel_class and item.class_code != query.travel_class:
            continue
        if quota != Quota.GENERAL and not company.rules.sells(quota):
            continue
        free = item.free.get(quota, 0) + (
            item.free.get(Quota.GENERAL, 0) if quota != Quota.GENERAL else 0
        )
        fare = item.fares.get(quota)
        offers.append(
            ClassOffer(
                class_code=item.class_code,
                label=_class_label(item, company),
                status=_status(item, company),
                free=free,
                fits=fare is not None and free >= query.passengers,
                fare=fare,
                currency=company.currency,
                fare_text=money.format_money(fare, company.currency) if fare is not None else "",
                url=_seat_map_url(option, item.class_code, query),
            )
        )
    return tuple(offers)


def _in_window(option: TripOption, query: TripQuery) -> bool:
    leaves = local(option.departure_at, option.origin.time_zone).time()
    if query.after and leaves < query.after:
        return False
    return not (query.before and leaves >= query.before)


def _minutes_outside(option: TripOption, query: TripQuery) -> int:
    """How far (minutes) the departure is from the asked window: 0 inside it."""
    leaves = local(option.departure_at, option.origin.time_zone)
    minutes = leaves.hour * 60 + leaves.minute
    if query.after and minutes < query.after.hour * 60 + query.after.minute:
        return query.after.hour * 60 + query.after.minute - minutes
    if query.before and minutes >= query.before.hour * 60 + query.before.minute:
        return minutes - (query.before.hour * 60 + query.before.minute) + 1
    return 0


def _sort_key(query: TripQuery):
    """Trips with seats for everyone first; then the cheapest or fastest when asked, the
    nearest to the asked window (for the day's other departures), the earliest."""

    def key(row: TripAnswer):
        fitting = [o for o in row.classes if o.fits] or list(row.classes)
        if query.sort == "cheapest":
            fares = [(o.currency, o.fare) for o in fitting if o.fare is not None]
            extra = min(fares) if fares else ("~", 0)
        elif query.sort == "fastest":
            extra = row.duration_minutes
        else:
            extra = 0
        return (
            not row.fits,
            extra,
            _minutes_outside(row.option, query),
            row.option.departure_at,
            row.option.trip.route.number,
        )

    return key


def _window_text(after: time | None, before: time | None) -> str:
    if after and before:
        return gettext("leaving {after}–{before}").format(
            after=f"{after:%H:%M}", before=f"{before:%H:%M}"
        )
    if after:
        return gettext("leaving after {after}").format(after=f"{after:%H:%M}")
    if before:
        return gettext("leaving before {before}").format(before=f"{before:%H:%M}")
    return ""


def _day_text(day: date) -> str:
    return local_time(datetime.combine(day, time(12)), "UTC", short=True).rsplit(",", 1)[0]


def _summary(query: TripQuery, origin: Station, destination: Station, day: date) -> str:
    parts = [
        gettext("{origin} to {destination}, {day}").format(
            origin=origin.name, destination=destination.name, day=_day_text(day)
        )
    ]
    if window := _window_text(query.after, query.before):
        parts.append(window)
    if query.travel_class:
        parts.append(gettext("class {code}").format(code=query.travel_class))
    if query.quota:
        parts.append(gettext("{quota} quota").format(quota=Quota(query.quota).label))
    parts.append(
        ngettext("for {n} passenger", "for {n} passengers", query.passengers).format(
            n=query.passengers
        )
    )
    return ", ".join(parts)


def _missing_station(query: TripQuery) -> Question | None:
    if query.destination is None:
        return Question("destination", gettext("Where do you want to go?"))
    if query.origin is None:
        return Question("origin", gettext("Where do you leave from?"))
    if query.origin == query.destination:
        return Question(
            "destination", gettext("Where to? The trip starts and ends at one station.")
        )
    return None


def assistant_answer(
    *,
    text: str,
    user=None,
    today: date,
    language: str | None = None,
    answers: dict[str, str] | None = None,
) -> Answer:
    """The answer to `text` (at most MAX_TEXT characters, not blank) asked on `today`
    by `user` (their home station: `user_home_station`), in `language`: the query
    understood (`assistant_parse`), then one question back when a field is unsure or a
    station is missing, else the trips of `trip_search` on the query's date (today when it
    names none) with `trips_availability`, as the results page finds them: those leaving
    in the asked window, with the asked class and seats in the asked quota for every
    passenger first, sorted as asked (by departure by default); when none leaves in the
    window, the day's other departures, saying so. Reads only. Raises AssistantInputError
    for blank or too long text or an unusable answer to a question."""
    with translation.override(language or translation.get_language()):
        text = (text or "").strip()
        if not text:
            raise AssistantInputError(
                gettext("Type where you want to go, e.g. “Kigali to Musanze tomorrow”.")
            )
        if len(text) > MAX_TEXT:
            raise AssistantInputError(gettext("Keep it under {n} characters.").format(n=MAX_TEXT))
        home = user_home_station(user)
        parsed, source = assistant_parse(text=text, today=today, home=home, answers=answers)
        query = parsed.query
        question = parsed.question or _missing_station(query)
        if question:
            return Answer(query, question.text, question, parsed.unknown, source=source)
        stations = Station.objects.in_bulk([query.origin, query.destination], field_name="code")
        origin, destination = stations[query.origin], stations[query.destination]
        day = query.date or today
        options = trip_search(origin=origin, destination=destination, travel_date=day)
        refusals = trips_refusals(options, now=timezone.now())
        bookable = [o for o in options if o.trip.pk not in refusals]
        availability = trips_availability(bookable)
        rows = []
        for option in bookable:
            offers = _offers(option, availability.get(option.trip.pk, []), query)
            if not offers:
                continue
            rows.append(
                TripAnswer(
                    option=option,
                    departure_text=local_time(option.departure_at, option.origin.time_zone),
                    arrival_text=local_time(option.arrival_at, option.destination.time_zone),
                    duration_minutes=int(option.duration.total_seconds() // 60),
                    classes=offers,
                )
            )
        in_window = [row for row in rows if _in_window(row.option, query)]
        other_departures = not in_window and bool(rows) and bool(query.after or query.before)
        shown = sorted(in_window or (rows if other_departures else []), key=_sort_key(query))
        summary = _summary(query, origin, destination, day)
        fitting = sum(row.fits for row in shown)
        if other_departures:
            found = ngettext(
                "nothing leaves then; {n} other departure that day, the nearest first:",
                "nothing leaves then; {n} other departures that day, the nearest first:",
                len(shown),
            ).format(n=len(shown))
        elif not shown:
            found = gettext("no trip with seats on sale; try another day.")
        elif fitting == len(shown):
            found = ngettext("{n} trip with seats:", "{n} trips with seats:", fitting).format(
                n=fitting
            )
        else:
            found = ngettext(
                "{n} of {total} trips with seats for everyone:",
                "{n} of {total} trips with seats for everyone:",
                fitting,
            ).format(n=fitting, total=len(shown))
        results_url = (
            reverse("booking:search")
            + "?"
            + urlencode({"from": origin.code, "to": destination.code, "date": day.isoformat()})
        )
        notes = ()
        if len(shown) > MAX_TRIPS:
            notes = (
                gettext("The first {n} are shown; the results page has all {total}.").format(
                    n=MAX_TRIPS, total=len(shown)
                ),
            )
        return Answer(
            query,
            f"{summary}: {found}",
            None,
            parsed.unknown,
            tuple(shown[:MAX_TRIPS]),
            other_departures,
            origin,
            destination,
            day,
            results_url,
            source,
            notes,
        )
