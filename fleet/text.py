"""Name folding shared by station lookup and the importers."""

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def fold_name(value: str) -> str:
    """'Pt. Deen Dayal Upadhyaya Jn.' -> 'PT DEEN DAYAL UPADHYAYA JN': accents, case and
    punctuation removed, so lookups match however a passenger types the name."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", ascii_only.upper()).strip()
