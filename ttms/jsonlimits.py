"""JSON from outside (API bodies, WebSocket messages) read with a limit on nesting.

Python's parser recurses once per level of nesting: a few kilobytes of `[[[[...` make it
raise RecursionError, which no caller expects from a parser and which would answer 500. No
document this project accepts nests deeper than a handful of levels, so anything past
MAX_JSON_DEPTH is refused as invalid, like a syntax error.
"""

import json
from typing import Any

from django.utils.translation import gettext

# Arrays and objects inside one another; a number, string, true, false or null inside
# adds none.
MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    """The document nests arrays and objects deeper than the limit."""


def json_loads_limited(
    data: str | bytes | bytearray, *, max_depth: int = MAX_JSON_DEPTH, **loads_options
) -> Any:
    """`json.loads(data, **loads_options)`, refusing a document nested more than
    `max_depth` arrays and objects deep with JSONTooDeep.

    Every bad document raises ValueError (JSONTooDeep, json.JSONDecodeError,
    UnicodeDecodeError), so a caller that catches ValueError answers all of them; a
    document too deep for the parser's recursion is a JSONTooDeep, never a RecursionError.
    """
    try:
        value = json.loads(data, **loads_options)
    except RecursionError:
        raise JSONTooDeep(_too_deep(max_depth)) from None
    # Each level opens with one of these characters: counting them (in C) spares the
    # walk for the usual small document.
    brackets = (b"[", b"{") if isinstance(data, bytes | bytearray) else ("[", "{")
    if data.count(brackets[0]) + data.count(brackets[1]) > max_depth and _deeper_than(
        value, max_depth
    ):
        raise JSONTooDeep(_too_deep(max_depth))
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and dicts more than `limit` deep (without recursing)."""
    if not isinstance(value, list | dict):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, list | dict))
    return False


def _too_deep(max_depth: int) -> str:
    return gettext("JSON nested deeper than %(depth)d levels.") % {"depth": max_depth}
