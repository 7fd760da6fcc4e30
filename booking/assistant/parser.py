"""The offline parser: a trip search in plain words -> `Parsed` (a `TripQuery`, at most one
question back, the words not understood).

How a phrase is read: it is folded and cut into tokens once (`text.tokenize`); one pass from
left to right then takes, at each token, the longest phrase of `vocabulary` that starts there
(dates, parts of the day, class, quota, counts, sort, noise, and the cues that say where a
station sits in the trip), unless a number rule applies first (dates such as "5/12" or
"dec 5", clock times, counts such as "for 2" or "3 tickets"). The words left over are
station names, matched against the station table (`stations.station_index`: exact names,
codes, aliases and regions, then rapidfuzz for typos, Devanagari transliterated). A station's
role comes from the cue next to it ("from X", "to Y", "X se", "Y tak", "kuva X", "i Y", an
arrow or dash between two names), else from the order (first the origin); a lone station is
the destination, and the passenger's `home` is then the origin.

The meaning of each phrase is fixed in the project's assistant semantics (docs/assistant.md);
the tests' phrasing table holds the parser to it.
"""

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.utils.translation import gettext
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from . import dates
from .query import MAX_PASSENGERS, Choice, Parsed, Question, TripQuery
from .stations import GENERIC_WORDS, Match, StationIndex, station_index
from .text import Token, fold, tokenize
from .vocabulary import (
    ADDING_NOUNS,
    AFTER_WORDS,
    BEFORE_WORDS,
    CLASSES,
    COUNT_BEFORE,
    CUES,
    DAYS_AHEAD,
    MERIDIEMS,
    MONTHS,
    NAMED_TIMES,
    NEXT_WORDS,
    NOISE,
    NUMBER_WORDS,
    PARTS_OF_DAY,
    PASSENGER_NOUNS,
    PASSENGER_PHRASES,
    QUOTAS,
    SORTS,
    THIS_WORDS,
    WEAK_NUMBER_WORDS,
    WEEKDAYS,
    WEEKENDS,
)


def _weekday_phrases() -> dict[tuple[str, ...], tuple]:
    rows = {}
    for weekday, spellings in WEEKDAYS.items():
        for spelling in spellings.split("|"):
            words = tuple(spelling.split())
            rows[words] = ("weekday", weekday, "coming")
            rows |= {(lead, *words): ("weekday", weekday, "coming") for lead in THIS_WORDS}
            rows |= {(lead, *words): ("weekday", weekday, "next") for lead in NEXT_WORDS}
    return rows


# Later tables win a phrase listed twice: "i" is noise in "i want" but a cue alone ("i
# Musanze": to Musanze), and a word with a meaning is never noise.
PHRASES = {
    **NOISE,
    **CUES,
    **DAYS_AHEAD,
    **_weekday_phrases(),
    **WEEKENDS,
    **PARTS_OF_DAY,
    **CLASSES,
    **QUOTAS,
    **SORTS,
    **PASSENGER_PHRASES,
}
LONGEST_PHRASE = max(len(key) for key in PHRASES)
# Words the tokenizer must not split at a digit or a hyphen ("3ac", "2morrow", "non-stop").
_GLUED = frozenset(key[0] for key in PHRASES if len(key) == 1 and re.search(r"[\d-]", key[0]))
# The words a misspelling is compared with: one-word phrases that mean something (a typo of
# a noise word costs nothing), six letters or more: at five, ordinary words are one letter
# from a Hindi one ("paste", "sasta").
MIN_MISSPELT = 6
_SPELLED = [
    key[0]
    for key, meaning in PHRASES.items()
    if len(key) == 1
    and len(key[0]) >= MIN_MISSPELT
    and key[0].isalpha()
    and key[0].isascii()
    and meaning[0] not in ("noise", "cue")
]
# Hindi puts "after" and "before" behind the time: "6 baje ke baad", "10 बजे से पहले".
_TIME_END_AFTER = {("ke", "baad"), ("baad",), ("ke", "bad"), ("bad",), ("onwards",)}
_TIME_END_AFTER |= {("के", "बाद"), ("बाद",)}
_TIME_END_BEFORE = {("se", "pehle"), ("pehle",), ("se", "pahle"), ("pahle",)}
_TIME_END_BEFORE |= {("से", "पहले"), ("पहले",)}
# Words that make a number an hour: "6 baje", "6 o'clock".
_TIMES_WITH = {"baje", "bje", "बजे", "oclock", "o", "hrs", "h", "hours"}


@dataclass
class _Mention:
    start: int
    end: int
    match: Match


class _Reading:
    """One phrase being read: tokens, what each was taken as, and the fields found."""

    def __init__(self, tokens: list[Token], today: date, stations: StationIndex):
        self.tokens = tokens
        self.stations = stations
        self.tags: list[str | None] = [None] * len(tokens)
        self.today = today
        self.date: date | None = None
        self.date_fixed = False  # a calendar date was said
        self.part: tuple[time | None, time | None] | None = None
        self.after: time | None = None
        self.before: time | None = None
        self.half_day_unsaid: set[str] = set()  # "after"/"before" given as "6", no am/pm
        self.travel_class: str | None = None
        self.bare_ac = False
        self.quota: str | None = None
        self.counts: list[tuple[int, str]] = []  # (count, the word it counts)
        self.loose_counts: list[tuple[int, int]] = []  # (token index, count): a bare "2"
        self.sort: str | None = None
        self.direct = False

    # --- helpers -------------------------------------------------------------------------------

    def text(self, index: int) -> str | None:
        return self.tokens[index].text if 0 <= index < len(self.tokens) else None

    def kind(self, index: int) -> str | None:
        return self.tokens[index].kind if 0 <= index < len(self.tokens) else None

    def mark(self, start: int, length: int, tag: str) -> int:
        for index in range(start, start + length):
            self.tags[index] = tag
        return length

    def phrase_at(self, index: int) -> tuple[int, tuple] | None:
        for length in range(min(LONGEST_PHRASE, len(self.tokens) - index), 0, -1):
            window = self.tokens[index : index + length]
            if any(token.kind not in ("word", "number", "ordinal") for token in window):
                continue
            if meaning := PHRASES.get(tuple(token.text for token in window)):
                return length, meaning
        return None

    def set_date(self, value: date | None, *, calendar: bool = False) -> None:
        """The travel date: the first one said, except that a calendar date ("12 December",
        "5/12") wins over a relative one said with it ("Saturday 12 December"), being the
        more precise of the two."""
        if value is None or (self.date is not None and not calendar) or self.date_fixed:
            return
        self.date, self.date_fixed = value, calendar

    def year_at(self, index: int) -> int | None:
        """A four-digit year written after a day and month ("5 Dec 2026")."""
        text = self.text(index)
        return int(text) if self.kind(index) == "number" and len(text) == 4 else None

    # --- the pass ------------------------------------------------------------------------------

    def read(self) -> None:
        index = 0
        while index < len(self.tokens):
            phrase = self.phrase_at(index)
            if phrase and phrase[0] >= 2:
                index += self.apply(index, *phrase)
            elif used := self.numbers(index):
                index += used
            elif phrase:
                index += self.apply(index, *phrase)
            elif self.kind(index) == "arrow":
                index += self.mark(index, 1, "cue:to-arrow")
            elif meaning := self.misspelt(index):
                index += self.apply(index, 1, meaning)
            else:
                index += 1

    def misspelt(self, index: int) -> tuple | None:
        """The meaning of a misspelt word ("tomorroww", "evning", "sleepr"), unless it is
        nearer to a station's name than to any word of the vocabulary: a station's name
        is never read as a word."""
        word = self.tokens[index].text
        if self.kind(index) != "word" or len(word) < MIN_MISSPELT or not word.isascii():
            return None
        if word in PASSENGER_NOUNS or word in MONTHS or word in NUMBER_WORDS:
            return None  # known words, only meaningful next to a number
        found = process.extractOne(
            word, _SPELLED, scorer=Levenshtein.normalized_similarity, score_cutoff=0.8
        )
        if found is None or self.stations.exact(word):
            return None
        station = process.extractOne(
            word,
            self.stations.fuzzy_keys,
            scorer=Levenshtein.normalized_similarity,
            score_cutoff=found[1],
        )
        return None if station else PHRASES[(found[0],)]

    def apply(self, index: int, length: int, meaning: tuple) -> int:
        what = meaning[0]
        if what == "days":
            self.set_date(self.today + timedelta(days=meaning[1]))
        elif what == "tonight":
            self.set_date(self.today)
            self.part = self.part or (time(18, 0), None)
        elif what == "weekday":
            rule = dates.weekday_next_week if meaning[2] == "next" else dates.weekday_coming
            self.set_date(rule(self.today, meaning[1]))
        elif what == "weekend":
            rule = dates.weekend_next_week if meaning[1] == "next" else dates.weekend_coming
            self.set_date(rule(self.today))
        elif what == "part":
            bounds = [time.fromisoformat(value) if value else None for value in meaning[1:]]
            self.part = self.part or (bounds[0], bounds[1])
        elif what == "class":
            self.travel_class = self.travel_class or meaning[1]
        elif what == "ac":
            self.bare_ac = True
        elif what == "quota":
            self.quota = self.quota or meaning[1]
        elif what == "sort":
            self.sort = self.sort or meaning[1]
        elif what == "direct":
            self.direct = True
        elif what == "passengers":
            self.counts.append((meaning[1], "phrase"))
        elif what == "cue":
            return self.mark(index, length, f"cue:{meaning[1]}")
        return self.mark(index, length, what)

    # --- rules with numbers --------------------------------------------------------------------

    def count_at(self, index: int) -> int | None:
        """A count written at `index` ("2", "two", "babiri"), unless it starts a class ("2
        ac") or a longer phrase."""
        token = self.tokens[index] if index < len(self.tokens) else None
        if token is None or ((phrase := self.phrase_at(index)) and phrase[0] >= 2):
            return None
        if token.kind == "number" and len(token.text) <= 2:
            return int(token.text)
        if token.kind == "word" and (match := re.fullmatch(r"x(\d{1,2})", token.text)):
            return int(match.group(1))
        return NUMBER_WORDS.get(token.text)

    def time_at(self, index: int, *, bare: bool) -> tuple[time, int, bool] | None:
        """A clock time starting at `index`: the time, how many tokens it takes, and whether
        it could be either half of the day ("6", "6 baje", "6:30" without am/pm). Reads
        "18:00", "6:30pm", "6 pm", "6 baje", "noon"; a bare "6" only after a word such as
        "after" (`bare`)."""
        token = self.tokens[index] if index < len(self.tokens) else None
        if token is None:
            return None
        if token.text in NAMED_TIMES:
            return time.fromisoformat(NAMED_TIMES[token.text]), 1, False
        meridiem = self.text(index + 1) if self.text(index + 1) in MERIDIEMS else None
        if token.kind == "clock":
            match = re.fullmatch(r"(\d{1,2}):(\d{2})(a|p)?\.?m?\.?", token.text)
            if not match:
                return None
            half = match[3] or meridiem
            value = dates.clock(int(match[1]), int(match[2]), half)
            length = 2 if meridiem and not match[3] else 1
            return (value, length, not half and 1 <= value.hour <= 11) if value else None
        if token.kind != "number" or len(token.text) > 2:
            return None
        if meridiem:
            value = dates.clock(int(token.text), 0, meridiem)
            return (value, 2, False) if value else None
        value = dates.clock(int(token.text))
        if value is None:
            return None
        ambiguous = 1 <= value.hour <= 11
        if self.text(index + 1) in _TIMES_WITH:
            return value, 2, ambiguous
        return (value, 1, ambiguous) if bare else None

    def set_time(self, side: str, found: tuple[time, int, bool]) -> None:
        setattr(self, side, found[0])
        if found[2]:
            self.half_day_unsaid.add(side)

    def numbers(self, index: int) -> int:
        """The number rules at `index`; how many tokens they took (0: none applies)."""
        token = self.tokens[index]
        text, nxt = token.text, self.text(index + 1)
        if token.kind == "iso":
            self.set_date(dates.iso_date(text), calendar=True)
            return self.mark(index, 1, "date") if dates.iso_date(text) else 0
        if token.kind == "daymonth":
            parts = [int(part) for part in re.split(r"[/.\-]", text)]
            value = dates.day_and_month(self.today, parts[0], parts[1], *parts[2:])
            self.set_date(value, calendar=True)
            return self.mark(index, 1, "date") if value else 0
        # "after 6 pm", "before 10:00", "by 10am", "from 18:00".
        if (text in AFTER_WORDS or text in BEFORE_WORDS) and (
            found := self.time_at(index + 1, bare=True)
        ):
            self.set_time("after" if text in AFTER_WORDS else "before", found)
            return self.mark(index, 1 + found[1], "time")
        # "between 5pm and 9pm".
        if text == "between" and (first := self.time_at(index + 1, bare=True)):
            joint = index + 1 + first[1]
            if self.text(joint) in ("and", "to", "-", "&") and (
                second := self.time_at(joint + 1, bare=True)
            ):
                self.set_time("after", first)
                self.set_time("before", second)
                return self.mark(index, joint + 1 + second[1] - index, "time")
        # "6 pm", "18:00", "6 baje ke baad", "10 baje se pehle": a time said alone is when
        # the passenger wants to leave, so from then on.
        if found := self.time_at(index, bare=False):
            length = found[1]
            for ending, side in ((_TIME_END_AFTER, "after"), (_TIME_END_BEFORE, "before")):
                for words in ending:
                    if tuple(self.text(index + length + k) for k in range(len(words))) == words:
                        self.set_time(side, found)
                        return self.mark(index, length + len(words), "time")
            self.set_time("after", found)
            return self.mark(index, length, "time")
        # "5th", "5th of december", "the 5th dec".
        if token.kind == "ordinal":
            day = int(text[:-2])
            skip = 1 if nxt == "of" else 0
            if (month := MONTHS.get(self.text(index + 1 + skip))) is not None:
                year = self.year_at(index + 2 + skip)
                self.set_date(dates.day_and_month(self.today, day, month, year), calendar=True)
                return self.mark(index, 2 + skip + bool(year), "date")
            self.set_date(dates.day_of_month(self.today, day), calendar=True)
            return self.mark(index, 1, "date")
        # "dec 5", "december 5th", "dec 5 2026".
        if text in MONTHS and self.kind(index + 1) in ("number", "ordinal"):
            day = int(re.sub(r"\D", "", nxt))
            if 1 <= day <= 31:
                year = self.year_at(index + 2)
                value = dates.day_and_month(self.today, day, MONTHS[text], year)
                self.set_date(value, calendar=True)
                return self.mark(index, 2 + bool(year), "date")
        # "5 dec", "5 december 2026".
        if token.kind == "number" and nxt in MONTHS and 1 <= int(text) <= 31:
            year = self.year_at(index + 2)
            value = dates.day_and_month(self.today, int(text), MONTHS[nxt], year)
            self.set_date(value, calendar=True)
            return self.mark(index, 2 + bool(year), "date")
        # "family of four", "a party of 3".
        if (
            text in ("family", "party", "group")
            and nxt == "of"
            and (count := self.count_at(index + 2))
        ):
            self.counts.append((count, text))
            return self.mark(index, 3, "passengers")
        # "a child": one more passenger where several are added up.
        if text in ("a", "an") and nxt in ADDING_NOUNS:
            self.counts.append((1, nxt))
            return self.mark(index, 2, "passengers")
        # "on 5": a day of the month, the way "on the 5th" is.
        if (
            text == "on"
            and self.kind(index + 1) == "number"
            and self.text(index + 2)
            not in (PASSENGER_NOUNS | MONTHS.keys() | MERIDIEMS | _TIMES_WITH)
        ):
            value = dates.day_of_month(self.today, int(nxt)) if len(nxt) <= 2 else None
            if value:
                self.set_date(value, calendar=True)
                return self.mark(index, 2, "date")
        # "for 2", "for two people", "hum do", "abantu babiri", "x2".
        if text in COUNT_BEFORE and (count := self.count_at(index + 1)) is not None:
            noun = self.text(index + 2)
            # "for one" or "for do" is not a count; "hum do" and "abantu babiri" are.
            weak = self.text(index + 1) in WEAK_NUMBER_WORDS and text not in ("hum", "abantu")
            if weak and noun not in PASSENGER_NOUNS:
                return 0
            length = 3 if noun in PASSENGER_NOUNS else 2
            self.counts.append((count, noun if length == 3 else text))
            return self.mark(index, length, "passengers")
        if (count := self.count_at(index)) is not None:
            # "2 people", "teen log", "3 tickets", "three of us".
            if nxt in PASSENGER_NOUNS:
                self.counts.append((count, nxt))
                return self.mark(index, 2, "passengers")
            if nxt == "of" and self.text(index + 2) == "us":
                self.counts.append((count, "us"))
                return self.mark(index, 3, "passengers")
            if token.kind == "word" and token.text.startswith("x"):
                self.counts.append((count, "x"))
                return self.mark(index, 1, "passengers")
            if count <= 9 and (token.kind == "number" or text not in WEAK_NUMBER_WORDS):
                # A count on its own ("dilli howrah kal 2"): a count unless it turns out to
                # stand between two stations, SMS for "to" ("dilli 2 howrah"). A larger
                # number alone is more likely part of a name ("Githurai 45") than a party.
                self.loose_counts.append((index, count))
                return self.mark(index, 1, "loose-count")
        return 0

    # --- results -------------------------------------------------------------------------------

    def passengers(self) -> int | None:
        adding = [count for count, noun in self.counts if noun in ADDING_NOUNS]
        if adding:
            return sum(adding)
        if self.counts:
            return self.counts[0][0]
        if self.loose_counts:
            return self.loose_counts[0][1]
        return None

    def times(self) -> tuple[time | None, time | None]:
        """The departure window: a part of the day, narrowed by clock times said with it.
        An hour said without am/pm is read in the half of the day the part names ("shaam 5
        baje se pehle": before 17:00)."""
        start, end = self.part or (None, None)
        later = start is not None and start >= time(12, 0)
        for side in ("after", "before"):
            value = getattr(self, side)
            if value is not None and later and side in self.half_day_unsaid:
                value = value.replace(hour=value.hour + 12)
            if value is None:
                continue
            # A clock time outside the part's window replaces the window's other side too
            # ("evening, before 5 pm" cannot keep "after 17:00").
            if side == "after":
                start, end = value, (end if end is None or end > value else None)
            else:
                start, end = (start if start is None or start < value else None), value
        return start, end


def _cue(reading: _Reading, index: int, step: int) -> str | None:
    """The cue nearest to a station on one side, looking past noise ("to the Musanze")."""
    while 0 <= index < len(reading.tokens) and reading.tags[index] == "noise":
        index += step
    tag = reading.tags[index] if 0 <= index < len(reading.tokens) else None
    return tag[4:] if tag and tag.startswith("cue:") else None


def _find_stations(reading: _Reading, index: StationIndex) -> tuple[list[_Mention], list[str]]:
    """Stations named by the words no rule took, in order, and the words left unknown."""
    mentions: list[_Mention] = []
    tokens = reading.tokens
    position = 0
    while position < len(tokens):
        end = position
        while end < len(tokens) and reading.tags[end] is None and tokens[end].kind == "word":
            end += 1
        if end == position:
            position += 1
            continue
        words = [token.text for token in tokens[position:end]]
        start = 0
        while start < len(words):
            found = None
            for length in range(min(4, len(words) - start), 0, -1):
                if match := index.exact(" ".join(words[start : start + length])):
                    found = (length, match)
                    break
            if found is None:
                for length in range(min(3, len(words) - start), 0, -1):
                    match, _ = index.find(" ".join(words[start : start + length]))
                    if match:
                        found = (length, match)
                        break
            if found is None:
                start += 1
                continue
            length, match = found
            first = position + start
            previous = mentions[-1] if mentions else None
            if previous and previous.end == first and previous.match.places == match.places:
                # "Nairobi CBD": two names of one station, side by side, are one mention.
                mentions[-1].end = first + length
            else:
                mentions.append(_Mention(first, first + length, match))
            reading.mark(first, length, "station")
            start += length
        position = end
    for mention in mentions:
        # "Kigali bus park": a kind-of-place word after a name belongs to it.
        while mention.end < len(tokens) and tokens[mention.end].text in GENERIC_WORDS:
            if reading.tags[mention.end] not in (None, "noise"):
                break
            reading.mark(mention.end, 1, "station")
            mention.end += 1
    unknown = [
        token.text
        for token, tag in zip(tokens, reading.tags, strict=True)
        if tag is None and token.kind in ("word", "number", "ordinal")
    ]
    return mentions, unknown


# Cues and the role they give the station they stand next to (before it, after it).
_ORIGIN_BEFORE = {"from"}
_DESTINATION_BEFORE = {"to", "se", "to-arrow", "sms-to"}
_ORIGIN_AFTER = {"to", "se", "to-arrow", "sms-to"}
_DESTINATION_AFTER = {"tak"}


def _roles(reading: _Reading, mentions: list[_Mention]) -> tuple[list, list]:
    """(origin mentions, destination mentions) by cue, then the rest by order."""
    origin, destination, loose = [], [], []
    for mention in mentions:
        before = _cue(reading, mention.start - 1, -1)
        after = _cue(reading, mention.end, 1)
        if before in _ORIGIN_BEFORE:
            origin.append(mention)
        elif after in _DESTINATION_AFTER or before in _DESTINATION_BEFORE:
            destination.append(mention)
        elif after in _ORIGIN_AFTER:
            origin.append(mention)
        else:
            loose.append(mention)
    for mention in loose:
        if not origin and (destination or len(loose) > 1):
            origin.append(mention)
        elif not destination:
            destination.append(mention)
        else:
            origin.append(mention)  # a third name: kept aside, reported below
    return origin, destination


def _short_label(station_name: str, said: str) -> str:
    """What tells a station apart from the others sharing a name: "Kigali Nyabugogo Bus
    Park" for "Kigali" -> "Nyabugogo"."""
    said_words = set(fold(said).split())
    words = re.sub(r"[()]", " ", station_name).split()
    kept = [w for w in words if fold(w) not in said_words and fold(w) not in GENERIC_WORDS]
    return " ".join(kept) or station_name


def _which(field_name: str, match: Match) -> Question:
    labels = [_short_label(place.name, match.said) for place in match.places]
    if len(labels) == 2:
        listed = gettext("%(first)s or %(second)s") % {"first": labels[0], "second": labels[1]}
    else:
        listed = gettext("%(some)s or %(last)s") % {
            "some": ", ".join(labels[:-1]),
            "last": labels[-1],
        }
    return Question(
        field=field_name,
        text=gettext("Which %(place)s: %(choices)s?") % {"place": match.said, "choices": listed},
        choices=tuple(Choice(value=place.code, label=place.name) for place in match.places),
    )


def parse(text: str, *, today: date, home: str | None = None) -> Parsed:
    """What the phrase `text` asks for, read on the passenger's `today`, with `home` (a
    station code: the passenger's home or last station) as the origin when the phrase names
    only a destination.

    Pure apart from reading the station table once per process (`stations.station_index`).
    Returns a `Parsed` whose question, if any, is about the first unsure field: which of
    several stations a name means (origin before destination), or a count above
    MAX_PASSENGERS; `unknown` lists the folded words no rule or station took.
    """
    index = station_index()
    tokens = tokenize(text, keep_whole=lambda word: word in _GLUED or index.is_code(word))
    reading = _Reading(tokens, today, index)
    reading.read()
    mentions, unknown = _find_stations(reading, index)
    # A bare "2" between two stations is SMS for "to"; anywhere else it stays a count.
    at = {mention.start for mention in mentions}
    ends = {mention.end for mention in mentions}
    for position, count in list(reading.loose_counts):
        if count == 2 and position in ends and position + 1 in at:
            reading.tags[position] = "cue:sms-to"
            reading.loose_counts.remove((position, count))
    origin, destination = _roles(reading, mentions)
    for extra in origin[1:] + destination[1:]:
        unknown.extend(token.text for token in tokens[extra.start : extra.end])

    question = None
    fields: dict = {}
    for field_name, found in (("origin", origin), ("destination", destination)):
        if not found:
            continue
        match = found[0].match
        if len(match.places) == 1:
            fields[field_name] = match.places[0].code
        elif question is None:
            question = _which(field_name, match)
    if "origin" not in fields and home and not (question and question.field == "origin"):
        home_code = home.strip().upper()
        if home_code != fields.get("destination") and not origin:
            fields["origin"] = home_code

    passengers = reading.passengers()
    if passengers is not None and passengers > MAX_PASSENGERS and question is None:
        question = Question(
            field="passengers",
            text=gettext(
                "At most %(count)d passengers can travel on one booking. How many are going?"
            )
            % {"count": MAX_PASSENGERS},
        )
    after, before = reading.times()
    query = TripQuery(
        origin=fields.get("origin"),
        destination=fields.get("destination"),
        date=reading.date,
        after=after,
        before=before,
        travel_class=reading.travel_class or ("3A" if reading.bare_ac else None),
        quota=reading.quota,
        passengers=passengers if passengers and 1 <= passengers <= MAX_PASSENGERS else 1,
        sort=reading.sort,
        direct=reading.direct,
    )
    return Parsed(query=query, question=question, unknown=tuple(dict.fromkeys(unknown)))
