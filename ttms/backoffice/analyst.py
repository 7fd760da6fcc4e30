"""The staff analyst: a question in English or Hindi in Latin letters ("tickets sold last week
per route", "load factor of train 12302 in December", "refunds by day this month", "which
buses ran late most") read as one of a few named report intents, answered from the
dashboards' selectors within the asker's companies.

Reading a question is four steps over its folded words: the period ("last week", "in
December", "last 30 days"...), the dimension ("per route", "by day", "company wise"), the
subject (a route number or a vehicle's plate among the asker's companies) and, over what is
left, the intent, matched against each intent's trigger phrases with rapidfuzz so that a typo
still reads. Nothing is guessed: a question no intent matches raises `AnalystNotUnderstood`
with the intents as suggestions, and a number that names no route or vehicle of the asker's
raises it too.
"""

import calendar
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils.dateformat import format as date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import OSA

from booking.assistant.text import fold
from booking.assistant.vocabulary import MONTHS
from fleet.models import Company, Route, Vehicle
from fleet.selectors import companies_for_user
from ttms.exceptions import DomainError
from ttms.money import to_major_string

from . import selectors
from .forms import DEFAULT_RANGE_DAYS, EARLIEST, LATEST, MAX_RANGE_DAYS

MAX_QUESTION_CHARS = 300
# A trip counts as late from this many minutes behind the timetable.
LATE_MINUTES = 5


class AnalystNotUnderstood(DomainError):
    """The question reads as no report (or names what the asker has not): `suggestions` are
    the intents to offer instead."""

    code = "analyst_not_understood"
    status_code = 400
    default_message = _("The question matches none of the reports.")

    def __init__(self, message=None, *, suggestions=()):
        super().__init__(message)
        self.suggestions = list(suggestions)


# --- Periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str


def _month_period(today: date, month: int, year: int | None) -> Period:
    """A month by name: the one of `year`, else the latest that has begun (asked in January,
    "December" is last year's)."""
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    last = calendar.monthrange(year, month)[1]
    start = date(year, month, 1)
    return Period(start, date(year, month, last), date_format(start, "F Y"))


_LAST = ("last", "past", "previous", "pichle", "pichhle", "pichla", "pichli", "gaye")
_THIS = ("this", "is", "current", "iss")
_WEEK = ("week", "weeks", "hafte", "hafta", "hafton")
_MONTH = ("month", "months", "mahine", "mahina", "mahino")
_YEAR = ("year", "saal", "sal")
_DAYS = ("days", "day", "din", "dino")


def period_parse(words: list[str], today: date) -> tuple[Period | None, set[int]]:
    """The period the words name, and the positions of the words it used. Weeks start on
    Monday; "last N days" ends today; a month named without a year is the latest begun."""
    used: set[int] = set()
    found: Period | None = None

    def word(i: int) -> str:
        return words[i] if 0 <= i < len(words) else ""

    for i, w in enumerate(words):
        if found is not None:
            break
        if w in ("today", "aaj", "aj"):
            found, used = Period(today, today, gettext("today")), {i}
        elif w in ("yesterday", "kal"):
            day = today - timedelta(days=1)
            found, used = Period(day, day, gettext("yesterday")), {i}
        elif w in _LAST + _THIS:
            nxt, count = word(i + 1), None
            step = 1
            if nxt.isdigit():
                count, nxt, step = int(nxt), word(i + 2), 2
            last = w in _LAST
            if nxt in _WEEK and count is None:
                monday = today - timedelta(days=today.weekday())
                if last:
                    monday -= timedelta(days=7)
                end = monday + timedelta(days=6) if last else today
                label = gettext("last week") if last else gettext("this week")
                found, used = Period(monday, end, label), {i, i + step}
            elif nxt in _MONTH and count is None:
                first = today.replace(day=1)
                if last:
                    end = first - timedelta(days=1)
                    found = _month_period(today, end.month, end.year)
                else:
                    found = Period(first, today, gettext("this month"))
                used = {i, i + step}
            elif nxt in _YEAR and count is None and not last:
                found, used = (
                    Period(date(today.year, 1, 1), today, gettext("this year")),
                    {i, i + 1},
                )
            elif nxt in _DAYS and count is not None and last:
                count = max(1, min(count, MAX_RANGE_DAYS))
                start = today - timedelta(days=count - 1)
                label = gettext("the last %(days)d days") % {"days": count}
                found, used = Period(start, today, label), {i, i + 1, i + 2}
        elif w in MONTHS and w != "may":
            year = int(word(i + 1)) if re.fullmatch(r"(19|20)\d\d", word(i + 1)) else None
            found = _month_period(today, MONTHS[w], year)
            used = {i} | ({i + 1} if year else set())
        elif w == "may" and (word(i - 1) == "in" or re.fullmatch(r"(19|20)\d\d", word(i + 1))):
            year = int(word(i + 1)) if re.fullmatch(r"(19|20)\d\d", word(i + 1)) else None
            found = _month_period(today, 5, year)
            used = {i} | ({i + 1} if year else set())
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", w):
            first = _iso(w)
            second = next((_iso(x) for x in words[i + 1 : i + 3] if _iso(x)), None)
            if first is not None:
                end = second or first
                found = Period(first, end, f"{first.isoformat()} – {end.isoformat()}")
                used = {i} | {j for j in (i + 1, i + 2) if _iso(word(j)) == second}
    if found is not None and found.end < found.start:
        found = Period(found.end, found.start, found.label)
    return found, used


def _iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def default_period(today: date) -> Period:
    start = today - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    return Period(start, today, gettext("the last %(days)d days") % {"days": DEFAULT_RANGE_DAYS})


# --- Dimensions and subjects -------------------------------------------------------------------

DIMENSION_LABELS = {
    "route": _("per route"),
    "day": _("per day"),
    "company": _("per company"),
    "vehicle": _("per vehicle"),
}
DIMENSION_WORDS = {
    "route": ("route", "routes", "line", "lines", "train", "trains", "service"),
    "day": ("day", "days", "date", "din", "roz"),
    "company": ("company", "companies", "operator", "operators"),
    "vehicle": ("vehicle", "vehicles", "bus", "buses", "plate", "rake"),
}
_PER = ("per", "by", "each", "every", "har", "for")


def dimension_parse(words: list[str]) -> tuple[str | None, set[int]]:
    """ "per route", "by day", "each company", "route wise", "routewise", "daily"."""
    for i, w in enumerate(words):
        if w == "daily":
            return "day", {i}
        for name, spellings in DIMENSION_WORDS.items():
            if w.endswith("wise") and w[:-4] in spellings:
                return name, {i}
            if w in spellings and i + 1 < len(words) and words[i + 1] == "wise":
                return name, {i, i + 1}
            if w in spellings and i and words[i - 1] in _PER:
                return name, {i - 1, i}
    return None, set()


@dataclass(frozen=True)
class Subject:
    route: Route | None = None
    vehicle: Vehicle | None = None

    @property
    def label(self) -> str:
        if self.route is not None:
            return f"{self.route.number} {self.route.name}"
        return self.vehicle.code if self.vehicle is not None else ""


def _squash(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(value))


def subject_parse(
    words: list[str], used: set[int], companies: QuerySet[Company]
) -> tuple[Subject, set[int]]:
    """A route number or a vehicle's code (its plate, spaces and dashes ignored) among the
    companies' routes and vehicles. A number of three or more digits that names neither is
    refused, so a mistyped train number never answers for every train."""
    routes: dict[str, Route] = {}
    for route in Route.objects.filter(company__in=companies).order_by("pk"):
        routes.setdefault(_squash(route.number), route)
    vehicles: dict[str, Vehicle] = {}
    for vehicle in Vehicle.objects.filter(company__in=companies).order_by("pk"):
        vehicles.setdefault(_squash(vehicle.code), vehicle)
    free = [i for i in range(len(words)) if i not in used]
    # A plate is often written in two or three words ("RAB 123 A").
    for size in (3, 2, 1):
        for at in range(len(free) - size + 1):
            span = free[at : at + size]
            if span != list(range(span[0], span[0] + size)):
                continue
            key = "".join(words[i] for i in span)
            if size == 1 and key in routes:
                return Subject(route=routes[key]), set(span)
            if key in vehicles and any(ch.isdigit() for ch in key):
                return Subject(vehicle=vehicles[key]), set(span)
    for i in free:
        if re.fullmatch(r"\d{3,}", words[i]):
            raise AnalystNotUnderstood(
                gettext("No route or vehicle numbered %(number)s among yours.")
                % {"number": words[i][:20]}
            )
    return Subject(), set()


# --- Reports ---------------------------------------------------------------------------------


@dataclass
class Report:
    """A question's answer: the intent, a title naming the period, the table (columns, rows
    of plain values: amounts as exact decimal strings beside their currency), the charts
    (each: title, labels, datasets of numbers as strings), and notes on what the figures
    mean or leave out."""

    intent: "Intent"
    title: str
    period: Period
    dimension: str
    subject: Subject
    columns: list[str]
    rows: list[list]
    charts: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ask:
    companies: QuerySet[Company]
    period: Period
    dimension: str
    subject: Subject


def _bar(title: str, labels: list, datasets: list[tuple[str, list]]) -> dict:
    return {
        "title": title,
        "labels": [str(label) for label in labels],
        "datasets": [
            {"label": label, "data": [None if v is None else str(v) for v in values]}
            for label, values in datasets
        ],
    }


def _money_days(ask: Ask) -> list[selectors.MoneyDay]:
    return selectors.money_by_day(
        companies=ask.companies, start=ask.period.start, end=ask.period.end
    )


def _add(total: selectors.MoneyTotal, day: selectors.MoneyDay) -> None:
    for name in ("sales", "refunds", "commission", "net", "tickets"):
        setattr(total, name, getattr(total, name) + getattr(day, name))
    total.days.append(day)


def _per_company(days: list[selectors.MoneyDay]) -> list[selectors.MoneyTotal]:
    """Per company and currency, ordered by company name then currency."""
    totals: dict[tuple, selectors.MoneyTotal] = {}
    for day in days:
        key = (day.company_name, day.company_id, day.currency)
        total = totals.setdefault(
            key,
            selectors.MoneyTotal(
                currency=day.currency, company_id=day.company_id, company_name=day.company_name
            ),
        )
        _add(total, day)
    return [totals[key] for key in sorted(totals)]


def _per_day_currency(days: list[selectors.MoneyDay]) -> list[selectors.MoneyTotal]:
    """Per local day and currency (companies of one currency summed), by day."""
    totals: dict[tuple, selectors.MoneyTotal] = {}
    for day in days:
        total = totals.setdefault(
            (day.day, day.currency), selectors.MoneyTotal(currency=day.currency)
        )
        _add(total, day)
        total.company_name = day.day.isoformat()
    return [totals[key] for key in sorted(totals)]


def _money_charts(
    title: str, totals: list[selectors.MoneyTotal], figures: list[tuple[str, str]]
) -> list[dict]:
    """One chart per currency: amounts of different currencies never share an axis."""
    by_currency: dict[str, list[selectors.MoneyTotal]] = defaultdict(list)
    for total in totals:
        by_currency[total.currency].append(total)
    return [
        _bar(
            f"{title} · {currency}",
            [t.company_name for t in rows],
            [
                (
                    f"{label} ({currency})",
                    [to_major_string(getattr(t, name), currency) for t in rows],
                )
                for name, label in figures
            ],
        )
        for currency, rows in sorted(by_currency.items())
    ]


def _tickets(ask: Ask, report: Report) -> None:
    if ask.dimension == "route" or ask.subject.route is not None:
        rows = selectors.tickets_by_route(
            companies=ask.companies,
            start=ask.period.start,
            end=ask.period.end,
            route=ask.subject.route,
        )
        report.columns = [gettext("Company"), gettext("Route"), gettext("Tickets"),
                          gettext("Cancelled since")]  # fmt: skip
        report.rows = [
            [r.company_name, f"{r.route_number} {r.route_name}", r.tickets, r.cancelled]
            for r in rows
        ]
        labels = [r.route_number for r in rows]
        report.charts = [
            _bar(report.title, labels, [(gettext("Tickets"), [r.tickets for r in rows])])
        ]
        report.dimension = "route"
        return
    days = _money_days(ask)
    if ask.dimension == "company":
        totals = _per_company(days)
        report.columns = [gettext("Company"), gettext("Tickets")]
        report.rows = [[t.company_name, t.tickets] for t in totals if t.tickets]
        labels = [row[0] for row in report.rows]
    else:
        tickets: dict[date, int] = defaultdict(int)
        for day in days:
            tickets[day.day] += day.tickets
        report.dimension = "day"
        report.columns = [gettext("Day"), gettext("Tickets")]
        report.rows = [[d.isoformat(), tickets[d]] for d in sorted(tickets) if tickets[d]]
        labels = [row[0] for row in report.rows]
    values = [row[1] for row in report.rows]
    report.charts = [_bar(report.title, labels, [(gettext("Tickets"), values)])]


def _money(ask: Ask, report: Report, figures: list[tuple[str, str, str]]) -> None:
    """Money per day (default) or per company, one row per currency: `figures` are (the
    MoneyTotal attribute, its column, the count attribute or "")."""
    days = _money_days(ask)
    if ask.dimension == "company":
        totals = _per_company(days)
        first = gettext("Company")
    else:
        report.dimension = "day"
        totals = _per_day_currency(days)
        first = gettext("Day")
    totals = [t for t in totals if any(getattr(t, name) for name, _label, _count in figures)]
    report.columns = [first, gettext("Currency")]
    for _name, label, count in figures:
        report.columns.append(label)
        if count:
            report.columns.append(gettext("Transactions"))
    report.rows = []
    for total in totals:
        row = [total.company_name, total.currency]
        for name, _label, count in figures:
            row.append(to_major_string(getattr(total, name), total.currency))
            if count:
                row.append(sum(getattr(d, count) for d in total.days))
        report.rows.append(row)
    report.charts = _money_charts(
        report.title, totals, [(name, label) for name, label, _count in figures]
    )


def _refunds(ask: Ask, report: Report) -> None:
    _money(ask, report, [("refunds", gettext("Refunds"), "refunds_count")])


def _revenue(ask: Ask, report: Report) -> None:
    _money(
        ask,
        report,
        [
            ("sales", gettext("Sales"), "sales_count"),
            ("refunds", gettext("Refunds"), ""),
            ("commission", gettext("Commission"), ""),
            ("net", gettext("Net"), ""),
        ],
    )


def _load(ask: Ask, report: Report) -> None:
    rows = selectors.route_loads(
        companies=ask.companies, start=ask.period.start, end=ask.period.end, route=ask.subject.route
    )
    report.dimension = "route"
    report.columns = [gettext("Company"), gettext("Route"), gettext("Trips"),
                      gettext("Passenger-km"), gettext("Seat-km"),
                      gettext("Load factor (%)")]  # fmt: skip
    report.rows = [
        [
            r.company_name,
            f"{r.route_number} {r.route_name}",
            r.trips,
            r.passenger_km,
            r.seat_km,
            "" if r.load_factor is None else r.load_factor,
        ]
        for r in rows
    ]
    report.charts = [
        _bar(
            report.title,
            [r.route_number for r in rows],
            [(gettext("Load factor (%)"), [r.load_factor for r in rows])],
        )
    ]


def _late(ask: Ask, report: Report) -> None:
    delays = selectors.trip_delays(
        companies=ask.companies, start=ask.period.start, end=ask.period.end, route=ask.subject.route
    )
    if ask.subject.vehicle is not None:
        delays = [d for d in delays if d.vehicle_id == ask.subject.vehicle.pk]
    by_route = ask.dimension == "route"
    report.dimension = "route" if by_route else "vehicle"
    groups: dict[tuple, list[selectors.TripDelay]] = defaultdict(list)
    for delay in delays:
        key = (delay.company_name, delay.route_number, delay.route_name) if by_route else (
            delay.company_name, delay.vehicle or "—", "")  # fmt: skip
        groups[key].append(delay)
    rows = []
    for key, trips in groups.items():
        minutes = [d.delay_seconds / 60 for d in trips]
        average = round(sum(minutes) / len(minutes), 1)
        late = sum(1 for m in minutes if m >= LATE_MINUTES)
        name = f"{key[1]} {key[2]}".strip()
        rows.append([key[0], name, len(trips), late, average, round(max(minutes), 1)])
    rows.sort(key=lambda r: (-r[4], -r[5], r[0], r[1]))
    report.columns = [
        gettext("Company"),
        gettext("Route") if by_route else gettext("Vehicle"),
        gettext("Trips tracked"),
        gettext("Trips late (%(minutes)d min or more)") % {"minutes": LATE_MINUTES},
        gettext("Average delay (min)"),
        gettext("Worst delay (min)"),
    ]
    report.rows = rows
    report.charts = [
        _bar(
            report.title,
            [r[1] for r in rows],
            [(gettext("Average delay (min)"), [r[4] for r in rows])],
        )
    ]
    report.notes.append(
        gettext(
            "A trip's delay is its arrival at the last stop tracking saw it reach, against the "
            "timetable (early is negative). Trips tracking never saw call at a stop are left "
            "out."
        )
    )


def _pairs(ask: Ask, report: Report) -> None:
    rows = selectors.top_pairs(
        companies=ask.companies, start=ask.period.start, end=ask.period.end, route=ask.subject.route
    )
    report.dimension = ""
    report.columns = [gettext("From"), gettext("To"), gettext("Currency"), gettext("Passengers"),
                      gettext("Fares")]  # fmt: skip
    report.rows = [
        [
            f"{p.origin_name} ({p.origin_code})",
            f"{p.destination_name} ({p.destination_code})",
            p.currency,
            p.passengers,
            to_major_string(p.fares, p.currency),
        ]
        for p in rows
    ]
    report.charts = [
        _bar(
            report.title,
            [f"{p.origin_code}–{p.destination_code}" for p in rows],
            [(gettext("Passengers"), [p.passengers for p in rows])],
        )
    ]


# --- Intents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    """A report the analyst knows: its triggers (folded phrases, English and Hindi in Latin
    letters), the dimensions it can be cut by (the first is its default), an example, and
    the function filling a Report."""

    name: str
    title: Promise
    triggers: tuple[str, ...]
    dimensions: tuple[str, ...]
    example: Promise
    fill: Callable[[Ask, Report], None]


INTENTS = (
    Intent(
        "tickets",
        _("Tickets sold"),
        ("tickets sold", "tickets", "ticket", "tikat", "sold", "bikri", "bikri hui",
         "kitne ticket", "bookings", "passengers booked"),
        ("day", "route", "company"),
        _("tickets sold last week per route"),
        _tickets,
    ),
    Intent(
        "load",
        _("Load factor"),
        ("load factor", "load", "occupancy", "bharav", "kitni bhari", "bhari", "full",
         "seats filled"),
        ("route",),
        _("load factor of train 12302 in December"),
        _load,
    ),
    Intent(
        "refunds",
        _("Refunds"),
        ("refunds", "refund", "refunded", "wapsi", "paisa wapas", "wapas", "paise wapas"),
        ("day", "company"),
        _("refunds by day this month"),
        _refunds,
    ),
    Intent(
        "revenue",
        _("Revenue"),
        ("revenue", "kamai", "kamaai", "earnings", "income", "aamdani", "sales", "money",
         "commission"),
        ("day", "company"),
        _("revenue per company last month"),
        _revenue,
    ),
    Intent(
        "late",
        _("Delays"),
        ("late", "ran late", "delay", "delays", "delayed", "der", "deri", "der se",
         "punctuality", "on time"),
        ("vehicle", "route"),
        _("which buses ran late most"),
        _late,
    ),
    Intent(
        "pairs",
        _("Top origin–destination pairs"),
        ("pairs", "origin destination", "popular", "busiest", "top journeys", "most travelled"),
        (),
        _("busiest pairs last 30 days"),
        _pairs,
    ),
)  # fmt: skip
INTENTS_BY_NAME = {intent.name: intent for intent in INTENTS}


def _allowed_edits(length: int) -> int:
    """Typos forgiven in a phrase of `length` characters: none up to four, one up to seven,
    two beyond (so "late" never reads "date", while "refnds" reads "refunds")."""
    if length <= 4:
        return 0
    return 1 if length <= 7 else 2


def intent_match(words: list[str]) -> tuple[Intent | None, float]:
    """The intent whose trigger phrase best matches a run of the words (OSA distance, a
    transposition one edit), scored by the phrase's length less its edits; None when no
    phrase is near enough. A tie goes to the intent listed first."""
    best, best_score = None, 0.0
    for intent in INTENTS:
        for trigger in intent.triggers:
            size = trigger.count(" ") + 1
            for at in range(len(words) - size + 1):
                phrase = " ".join(words[at : at + size])
                edits = OSA.distance(phrase, trigger, score_cutoff=_allowed_edits(len(trigger)))
                if edits > _allowed_edits(len(trigger)):
                    continue
                score = len(trigger) - edits
                if score > best_score:
                    best, best_score = intent, score
    return best, best_score


def words_of(text: str) -> list[str]:
    """Folded words: letters and digits, ISO dates kept whole."""
    return re.findall(r"\d{4}-\d{2}-\d{2}|[0-9a-z\u0900-\u097f]+", fold(text))


def analyst_answer(*, text: str, user, today: date) -> Report:
    """The report `text` asks for, over the companies `user` may see
    (`fleet.selectors.companies_for_user`), its days relative to `today` (the companies'
    local today). A read: writes nothing, takes no lock.

    Raises AnalystNotUnderstood (with suggestions) for an empty or too long question, one
    that matches no intent, a period outside the dashboards' bounds, or a route or vehicle
    number not among the user's companies."""
    companies = companies_for_user(user)
    suggestions = list(INTENTS)
    if not isinstance(text, str) or not text.strip():
        raise AnalystNotUnderstood(gettext("Ask a question."), suggestions=suggestions)
    if len(text) > MAX_QUESTION_CHARS:
        raise AnalystNotUnderstood(
            gettext("Ask in at most %(count)d characters.") % {"count": MAX_QUESTION_CHARS},
            suggestions=suggestions,
        )
    words = words_of(text)
    period, used = period_parse(words, today)
    dimension, dimension_used = dimension_parse(
        [w if i not in used else "" for i, w in enumerate(words)]
    )
    used |= dimension_used
    rest = [w if i not in used else "" for i, w in enumerate(words)]
    intent, _score = intent_match([w for w in rest if w])
    if intent is None:
        raise AnalystNotUnderstood(
            gettext("The question matches none of the reports."), suggestions=suggestions
        )
    subject, _subject_used = subject_parse(words, used, companies)
    period = period or default_period(today)
    if period.start < EARLIEST or period.end > LATEST:
        raise AnalystNotUnderstood(
            gettext("Choose days between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            suggestions=suggestions,
        )
    if (period.end - period.start).days + 1 > MAX_RANGE_DAYS:
        raise AnalystNotUnderstood(
            gettext("Choose a period of at most %(days)d days.") % {"days": MAX_RANGE_DAYS},
            suggestions=suggestions,
        )
    report = Report(
        intent=intent,
        title="",
        period=period,
        dimension=dimension or (intent.dimensions[0] if intent.dimensions else ""),
        subject=subject,
        columns=[],
        rows=[],
    )
    if dimension and dimension not in intent.dimensions:
        report.notes.append(
            gettext("%(report)s cannot be shown %(dimension)s; shown as it can be.")
            % {"report": intent.title, "dimension": DIMENSION_LABELS[dimension]}
        )
        report.dimension = intent.dimensions[0] if intent.dimensions else ""
    report.title = _title(intent, period, subject)
    intent.fill(Ask(companies, period, report.dimension, subject), report)
    return report


def _title(intent: Intent, period: Period, subject: Subject) -> str:
    values = {
        "report": intent.title,
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    if subject.label:
        return gettext("%(report)s, %(subject)s, %(period)s (%(start)s to %(end)s)") % {
            **values,
            "subject": subject.label,
        }
    return gettext("%(report)s, %(period)s (%(start)s to %(end)s)") % values
