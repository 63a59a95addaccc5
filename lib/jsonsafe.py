"""Hostile JSON, refused before it can hurt: nesting that would exhaust `json.loads`' recursion, and text a
database cannot store (NUL, lone surrogates).

Both checks are cheap: the depth is read from the brackets outside strings with two regular expressions, so
a 512 KB body costs milliseconds and a 3,000-deep one never reaches the parser.
"""

import re
from typing import Any

MAX_JSON_DEPTH = 64

# A JSON string (escapes included), written as an unrolled loop so long strings do not backtrack.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_OPENERS = frozenset(b"[{")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def json_too_deep(body: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects in `body` nest deeper than `limit` (brackets inside strings aside).

    A body that is not JSON at all is judged by its brackets too; the parser refuses it afterwards.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw)):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def unstorable_text(data: Any) -> bool:
    """Whether any key or string in parsed JSON holds NUL or a lone surrogate (neither survives a database)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
