"""What the assistant understands from a phrase: one structured trip query, or one question
back when it is unsure. Both parsers (offline and LLM) produce these; the search runs on them.

The JSON form (`TripQuery.as_json` / `TripQuery.from_json`) is the contract with an LLM and
with the tests' phrasing tables: dates ISO (`YYYY-MM-DD`), times `HH:MM` (24 h, the origin
station's local time), station codes as the station table has them.
"""

# The field `date` shadows the type in the class body: annotations stay unevaluated.
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, time

SORTS = ("cheapest", "fastest")
MAX_PASSENGERS = 6


@dataclass(frozen=True)
class TripQuery:
    """A trip search in structured form; None or the default where the phrase said nothing.

    origin, destination: station codes. date: the travel date. after / before: departure
    at or after `after`, strictly before `before` (local times of the origin). travel_class:
    a class code ("SL", "3A", "2A", "1A", "CC", "STANDARD", "VIP"). quota: a quota code
    ("TATKAL", "LADIES", "SENIOR", "FOREIGN_TOURIST"). passengers: 1..6. sort: "cheapest",
    "fastest" or None (by departure time). direct: the same trip end to end (every TTMS trip
    is direct; the flag is kept so that a phrase asking for it is understood, not ignored).
    """

    origin: str | None = None
    destination: str | None = None
    date: date | None = None
    after: time | None = None
    before: time | None = None
    travel_class: str | None = None
    quota: str | None = None
    passengers: int = 1
    sort: str | None = None
    direct: bool = False

    def as_json(self) -> dict:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "date": self.date.isoformat() if self.date else None,
            "after": self.after.strftime("%H:%M") if self.after else None,
            "before": self.before.strftime("%H:%M") if self.before else None,
            "class": self.travel_class,
            "quota": self.quota,
            "passengers": self.passengers,
            "sort": self.sort,
            "direct": self.direct,
        }

    @classmethod
    def from_json(cls, data: object) -> TripQuery:
        """The query `data` describes (the `as_json` shape; missing keys take the defaults).
        Raises ValueError naming the first bad key: a wrong type, a malformed date or time,
        passengers outside 1..6, an unknown sort. Station, class and quota codes are checked
        against the database by the caller, not here."""
        if not isinstance(data, dict):
            raise ValueError("a JSON object is expected")
        known = {"origin", "destination", "date", "after", "before", "class", "quota"}
        known |= {"passengers", "sort", "direct"}
        if unknown := sorted(set(data) - known):
            raise ValueError(f"unknown key {unknown[0]!r}")
        values: dict = {}
        for key, name in (
            ("origin", "origin"),
            ("destination", "destination"),
            ("class", "travel_class"),
            ("quota", "quota"),
        ):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"{key!r} must be a code or null")
            values[name] = value.strip().upper() if value else None
        if (value := data.get("date")) is not None:
            try:
                values["date"] = date.fromisoformat(value)
            except (TypeError, ValueError):
                raise ValueError("'date' must be YYYY-MM-DD or null") from None
        for key in ("after", "before"):
            if (value := data.get(key)) is not None:
                try:
                    values[key] = time.fromisoformat(value)
                except (TypeError, ValueError):
                    raise ValueError(f"{key!r} must be HH:MM or null") from None
        passengers = data.get("passengers", 1)
        if (
            isinstance(passengers, bool)
            or not isinstance(passengers, int)
            or not 1 <= passengers <= MAX_PASSENGERS
        ):
            raise ValueError(f"'passengers' must be a whole number from 1 to {MAX_PASSENGERS}")
        values["passengers"] = passengers
        sort = data.get("sort")
        if sort is not None and sort not in SORTS:
            raise ValueError("'sort' must be 'cheapest', 'fastest' or null")
        values["sort"] = sort
        direct = data.get("direct", False)
        if not isinstance(direct, bool):
            raise ValueError("'direct' must be true or false")
        values["direct"] = direct
        return cls(**values)

    def merged(self, **changes) -> TripQuery:
        return replace(self, **changes)


@dataclass(frozen=True)
class Choice:
    value: str  # what answering with this choice sets (a station code, a date)
    label: str  # what the passenger reads ("Kigali Nyabugogo Bus Park")


@dataclass(frozen=True)
class Question:
    """One question back when the phrase leaves a field unsure: `field` is "origin",
    "destination" or "date"; `text` is the question ("Which Kigali: Nyabugogo or Remera?");
    `choices` the answers offered (empty for a free answer)."""

    field: str
    text: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Parsed:
    """A parser's result: the query understood, at most one question, and the words it did
    not understand (shown to the passenger, never silently dropped)."""

    query: TripQuery
    question: Question | None = None
    unknown: tuple[str, ...] = field(default=())


FIELD_NAMES = tuple(f.name for f in fields(TripQuery))
