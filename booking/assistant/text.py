"""Folding, tokens and Devanagari transliteration for the offline parser.

`fleet.text.fold_name` keeps only A-Z and digits, which is right for the station table's
search columns but erases Devanagari; the parser folds with `fold` instead, which keeps every
script's letters and marks (a vowel sign is a mark, and dropping it turns दिल्ली into दलल).
"""

import re
import unicodedata
from dataclasses import dataclass

# Latin accents only: Devanagari vowel signs and the nukta are marks too, and must stay.
_LATIN_ACCENTS = range(0x0300, 0x0370)

# Word characters of any script, with the Devanagari block spelled out because Python's \w
# leaves out combining vowel signs.
_WORD = r"[\w\u0900-\u097f]+"

_TOKEN = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    r"|(?P<clock>\d{1,2}[:.]\d{2}\s?(?:a\.?m\.?|p\.?m\.?)(?![a-z])|\d{1,2}:\d{2})"
    r"|(?P<daymonth>\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?)(?![\d:])"
    r"|(?P<number>\d+)(?P<suffix>[a-z]+)?(?![\w\u0900-\u097f])"
    rf"|(?P<word>{_WORD}(?:-{_WORD})*)"
    # A dash or arrow between two places reads as "to": "dilli-howrah", "Huye → Kigali".
    r"|(?P<arrow>->|=>|→|⟶|➝|➔|⇒|—|–|-|>)"
)

ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})


@dataclass(frozen=True)
class Token:
    text: str  # folded
    kind: str  # word, number, ordinal, iso, clock, daymonth, arrow


def fold(value: str) -> str:
    """Case folded, NFKC, Latin accents removed, other scripts kept: "Muşanze" -> "musanze",
    "दिल्ली" unchanged."""
    decomposed = unicodedata.normalize("NFKD", (value or "").casefold())
    kept = "".join(ch for ch in decomposed if ord(ch) not in _LATIN_ACCENTS)
    # An apostrophe joins a word ("what's", "o'clock"), it does not end one.
    return unicodedata.normalize("NFKC", kept).replace("'", "").replace("’", "")


def tokenize(text: str, *, keep_whole=lambda word: False) -> list[Token]:
    """The phrase as tokens, punctuation dropped. A hyphenated word stays whole only when
    `keep_whole` says it is one (a station code such as "rw-mus"); otherwise the hyphen is a
    separator ("dilli-howrah" is two places). Digits glued to letters are split ("6pm" -> 6,
    pm; "2tkts" -> 2, tkts) unless `keep_whole` knows the word ("3ac"); ordinals ("5th") stay
    one token."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(fold(text)):
        kind = match.lastgroup
        value = match.group(0)
        if kind in ("number", "suffix"):
            number, suffix = match.group("number"), match.group("suffix")
            if suffix in ORDINAL_SUFFIXES:
                tokens.append(Token(value, "ordinal"))
                continue
            if suffix and keep_whole(value):
                tokens.append(Token(value, "word"))
                continue
            tokens.append(Token(number, "number"))
            if suffix:
                tokens.append(Token(suffix, "word"))
        elif kind == "word" and "-" in value and not keep_whole(value):
            parts = value.split("-")
            for index, part in enumerate(parts):
                if index:
                    tokens.append(Token("-", "arrow"))
                tokens.append(Token(part, "number" if part.isdigit() else "word"))
        elif kind == "clock":
            tokens.append(Token(value.replace(" ", "").replace(".", ":", 1), "clock"))
        else:
            tokens.append(Token(value, kind))
    return tokens


def is_devanagari(word: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in word)


# --- Devanagari to Latin ------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# One Latin spelling per Devanagari letter, in the alphabet's order.
_LATIN_CONSONANTS = "k kh g gh n ch chh j jh n t th d dh n t th d dh n p ph b bh m y r l v sh sh s"
_LATIN_CONSONANTS += " h"
_CONSONANTS = dict(
    zip(
        "कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह",
        _words(_LATIN_CONSONANTS),
        strict=True,
    )
)
# Nukta letters, precomposed and decomposed: ड़ is the r of हावड़ा.
_CONSONANTS |= {"क़": "q", "ख़": "kh", "ग़": "g", "ज़": "z", "ड़": "r", "ढ़": "rh", "फ़": "f"}
_CONSONANTS |= {"\u095c": "r", "\u095d": "rh", "\u095b": "z", "\u095e": "f", "\u0958": "q"}
_VOWELS = dict(zip("अआइईउऊऋएऐओऔ", _words("a a i i u u ri e ai o au"), strict=True))
_SIGNS = dict(zip("ािीुूृेैोौ", _words("a i i u u ri e ai o au"), strict=True))
_VIRAMA, _NUKTA = "\u094d", "\u093c"
_NASALS = {"ं", "ँ"}
_LABIALS = {"प", "फ", "ब", "भ", "म"}


def transliterate(word: str) -> str:
    """A Devanagari word in plain Latin letters, as Hindi speakers spell it: कानपुर -> kanpur,
    दिल्ली -> dilli, मुंबई -> mumbai. The inherent vowel of a consonant is dropped at the end
    of a word and between a vowel and a consonant-with-vowel (the usual Hindi schwa deletion,
    applied right to left so that सेंट्रल keeps the a before its final l)."""
    units: list[list] = []  # [consonants, vowel or None (inherent a), nasal]
    chars = unicodedata.normalize("NFC", word)
    index = 0
    while index < len(chars):
        ch = chars[index]
        if index + 1 < len(chars) and chars[index + 1] == _NUKTA and ch + _NUKTA in _CONSONANTS:
            ch, index = ch + _NUKTA, index + 1
        if ch in _CONSONANTS:
            if units and units[-1][1] == "virama":
                units[-1][0].append(_CONSONANTS[ch])
                units[-1][1] = None
            else:
                units.append([[_CONSONANTS[ch]], None, "", ch])
        elif ch in _VOWELS:
            units.append([[], _VOWELS[ch], "", ch])
        elif ch in _SIGNS and units:
            units[-1][1] = _SIGNS[ch]
        elif ch == _VIRAMA and units:
            units[-1][1] = "virama"
        elif ch in _NASALS and units:
            units[-1][2] = "n"
        elif ch == "ः" and units:
            units[-1][2] = "h"
        elif ch.isascii() and ch.isalnum():
            units.append([[ch], "", "", ch])
        index += 1
    keep = [True] * len(units)
    for i in range(len(units) - 1, -1, -1):
        consonants, vowel = units[i][0], units[i][1]
        if vowel is not None or not consonants:
            continue
        if i == len(units) - 1:
            keep[i] = len(units) == 1
            continue
        nxt = units[i + 1]
        next_has_vowel = bool(nxt[0]) and (nxt[1] not in (None, "virama") or keep[i + 1])
        if i > 0 and next_has_vowel:
            keep[i] = False
    out = []
    for i, (consonants, vowel, nasal, _) in enumerate(units):
        out.append("".join(consonants))
        if vowel is None:
            out.append("a" if keep[i] else "")
        elif vowel != "virama":
            out.append(vowel)
        if nasal == "n":
            following = units[i + 1][3] if i + 1 < len(units) else ""
            out.append("m" if following in _LABIALS else "n")
        elif nasal:
            out.append(nasal)
    return "".join(out)


def sound_key(word: str) -> str:
    """A rough key for Latin spellings of the same Indian or African name: v/w, c/k, ph/f and
    sh/s merged, h after a letter dropped, e read as i, o as u, doubled letters single, so
    "dilli" and "delhi" both give "dili", and "howrah" and हावड़ा's "havra" share "hvr..."."""
    key = word.lower().replace("ph", "f").replace("sh", "s").replace("w", "v").replace("c", "k")
    key = key.replace("e", "i").replace("o", "u").replace("y", "i")
    key = key[:1] + key[1:].replace("h", "")
    return re.sub(r"(.)\1+", r"\1", key)


def skeleton(word: str) -> str:
    """The consonants of `sound_key`: what is left of a name when the vowels, which Latin
    spellings of Hindi and Bengali names disagree on, are set aside ("hvr" for Howrah)."""
    key = sound_key(word)
    return key[:1] + re.sub(r"[aiu ]", "", key[1:])
