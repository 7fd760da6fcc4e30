"""The station table as the assistant reads it: every way a passenger names a station, folded,
with how strongly each name points at its station, and rapidfuzz for typos.

`fleet.selectors.station_lookup` serves a search box (prefixes, one query per keystroke); the
assistant needs whole-name matches ranked by kind (a region names a station less surely than
its alias) and names in any script, so it keeps its own index, read once per process and
rebuilt when a station or alias is saved or deleted here, or after `_TTL` seconds (changes
made by another process). Devanagari names are transliterated (`text.transliterate`) and then
matched like Latin ones: the stations' `aliases` cannot hold a Devanagari name today, since
`fleet.text.fold_name` folds it to nothing and `station_upsert` skips it.
"""

import re
import time as clock
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from fleet.models import Station, StationAlias

from .text import fold, is_devanagari, skeleton, sound_key, transliterate

_TTL = 300.0

# How surely a name points at its station, strongest first. A name that several stations
# share at the strongest rank found is ambiguous: the assistant asks which one.
CODE, NAME, ALIAS, REGION = 0, 1, 2, 3

# Words that say what kind of place a name is, not which one: "Central" alone is three
# stations, "Bus Park" every bus station. They do not name a station by themselves, and they
# are dropped when a choice is shown ("Which Kigali: Nyabugogo or Remera?").
GENERIC_WORDS = frozenset(
    {"jn", "junction", "central", "city", "bus", "park", "stand", "station", "terminal"}
    | {"terminus", "stage", "new", "old", "ksr", "pt", "cantt", "road", "halt"}
)

# rapidfuzz scores (0-100) a typo must reach. Short words are left out of fuzzy matching
# (three letters are one typo from too many names); the cut-offs keep ordinary words such
# as "evening" or "bus" from looking like a station while one or two slips in a long name
# ("musanzee", "kigalli", "howra") still match.
MIN_FUZZY_LENGTH = 4
SPELLING_CUTOFF = 84
TRANSLITERATION_CUTOFF = 80
EDIT_CUTOFF = 0.8  # one letter wrong in five, two in ten
SOUND_CUTOFF = 92


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass(frozen=True)
class Match:
    """What a span of words names: one station, or several equally (a question)."""

    places: tuple[Place, ...]
    said: str  # the name as the table spells it ("Kigali"), for the question


class StationIndex:
    def __init__(self, stations, aliases):
        self.places: dict[str, Place] = {}
        self.names: dict[str, dict[int, set[str]]] = {}  # folded name -> rank -> codes
        self.display: dict[str, str] = {}
        for code, name, city, region in stations:
            self.places[code] = Place(code, name)
            self._add(code, code, CODE)
            self._add(name, code, NAME)
            core = self._core(name)
            self._add(core, code, NAME)
            for word in core.split():
                self._add(word, code, ALIAS)
            for place in (city, region):
                self._add(place, code, REGION)
        for code, name in aliases:
            if code in self.places:
                self._add(name, code, ALIAS)
                for word in self._core(name).split():
                    self._add(word, code, ALIAS)
        self.codes = {fold(code) for code in self.places}
        self.fuzzy_keys = [key for key in self.names if len(key) >= MIN_FUZZY_LENGTH]
        self.sound_keys: dict[str, list[str]] = {}
        self.skeletons: dict[str, list[str]] = {}
        for key in self.fuzzy_keys:
            if key not in self.codes:
                self.sound_keys.setdefault(sound_key(key), []).append(key)
                self.skeletons.setdefault(skeleton(key), []).append(key)

    @staticmethod
    def _core(name: str) -> str:
        words = re.sub(r"[()\[\],.]", " ", name).split()
        kept = [word for word in words if fold(word) not in GENERIC_WORDS]
        return " ".join(kept)

    def _add(self, name: str, code: str, rank: int) -> None:
        key = " ".join(re.sub(r"[()\[\],.]", " ", fold(name or "")).split())
        if not key or (rank != CODE and key in GENERIC_WORDS):
            return
        self.names.setdefault(key, {}).setdefault(rank, set()).add(code)
        if rank == CODE and "-" in key:
            self.names.setdefault(key.replace("-", " "), {}).setdefault(rank, set()).add(code)
        self.display.setdefault(key, (name or "").strip())

    def is_code(self, word: str) -> bool:
        return word in self.codes

    def exact(self, words: str) -> Match | None:
        ranks = self.names.get(words)
        if not ranks:
            return None
        codes = ranks[min(ranks)]
        places = tuple(sorted((self.places[code] for code in codes), key=lambda p: p.name))
        return Match(places, self.display.get(words, words))

    def find(self, words: str) -> tuple[Match | None, bool]:
        """The station(s) `words` names: exactly, then as a Devanagari name transliterated,
        then as a typo. Returns the match and whether it was fuzzy."""
        if match := self.exact(words):
            return match, False
        devanagari = is_devanagari(words)
        latin = " ".join(transliterate(word) for word in words.split()) if devanagari else words
        if devanagari and (match := self.exact(latin)):
            return match, True
        if len(latin.replace(" ", "")) < MIN_FUZZY_LENGTH:
            return None, False
        # A transliteration is a guess at the Latin spelling, so it may be further off.
        cutoff = TRANSLITERATION_CUTOFF if devanagari else SPELLING_CUTOFF
        best = process.extractOne(latin, self.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            # fuzz.ratio counts a wrong letter twice (out and in), so one slip in a six-letter
            # name ("hawrah") falls under the cut-off; Levenshtein counts it once.
            best = process.extractOne(
                latin,
                self.fuzzy_keys,
                scorer=Levenshtein.normalized_similarity,
                score_cutoff=EDIT_CUTOFF,
            )
        if best is None:
            sounds = process.extractOne(
                sound_key(latin),
                list(self.sound_keys),
                scorer=fuzz.ratio,
                score_cutoff=SOUND_CUTOFF,
            )
            if sounds:
                keys = self.sound_keys[sounds[0]]
                best = (keys[0],) if len(keys) == 1 else None
        if best is None and devanagari:
            # Transliteration and the Latin name may disagree on every vowel (हावड़ा "havra",
            # "Howrah"); the consonants agreeing, and only one name having them, is enough.
            consonants = skeleton(latin)
            keys = self.skeletons.get(consonants, [])
            codes = {code for key in keys for code in self._codes(key)}
            if len(consonants) >= 3 and len(codes) == 1:
                best = (keys[0],)
        if best is None:
            return None, False
        return self.exact(best[0]), True

    def _codes(self, key: str) -> set[str]:
        ranks = self.names[key]
        return ranks[min(ranks)]


_cache: dict[str, object] = {"expires": 0.0, "index": None}


def station_index() -> StationIndex:
    """The process's index of station names, built on first use."""
    now = clock.monotonic()
    if _cache["index"] is None or _cache["expires"] < now:
        index = StationIndex(
            Station.objects.values_list("code", "name", "city", "region"),
            StationAlias.objects.values_list("station__code", "name"),
        )
        _cache.update(index=index, expires=now + _TTL)
    return _cache["index"]


def station_index_clear() -> None:
    """Forget the index (a station or alias changed; tests that create stations)."""
    _cache.update(index=None, expires=0.0)


@receiver(post_save, sender=Station)
@receiver(post_delete, sender=Station)
@receiver(post_save, sender=StationAlias)
@receiver(post_delete, sender=StationAlias)
def _station_changed(**kwargs) -> None:
    # Cache invalidation is the one use of signals the house style allows.
    station_index_clear()
