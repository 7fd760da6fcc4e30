"""How a text goes by SMS (3GPP TS 23.038 and 23.040): in the GSM 7-bit alphabet when
every character is in it, else in UCS-2; in one message up to 160 septets (GSM-7) or 70
UTF-16 units (UCS-2), else in parts of 153 or 67, the rest of each part being the header
that joins them again (UDH). A character of the GSM-7 extension table (€, [, ], {, }, ~,
^, |, \\ and form feed) is an escape and the character: two septets, never split across
parts; a character outside the Basic Multilingual Plane is two UTF-16 units, never split
either."""

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the GSM 7-bit alphabet (basic or extension)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _gsm7_cost(c: str) -> int:
    return 2 if c in GSM7_EXTENSION else 1


def _ucs2_cost(c: str) -> int:
    return 2 if ord(c) > 0xFFFF else 1


def segments(text: str) -> list[str]:
    """`text` as the parts an SMS of it is sent in: one part when it fits in one message,
    else as many as it takes (none for an empty text)."""
    if not text:
        return []
    if is_gsm7(text):
        cost, single, part = _gsm7_cost, GSM7_SINGLE, GSM7_PART
    else:
        cost, single, part = _ucs2_cost, UCS2_SINGLE, UCS2_PART
    if sum(cost(c) for c in text) <= single:
        return [text]
    parts, current, used = [], [], 0
    for c in text:
        if used + cost(c) > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(c)
        used += cost(c)
    parts.append("".join(current))
    return parts


def length(text: str) -> int:
    """The units `text` takes: septets in GSM-7, UTF-16 units in UCS-2."""
    cost = _gsm7_cost if is_gsm7(text) else _ucs2_cost
    return sum(cost(c) for c in text)
