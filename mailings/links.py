"""Links that act for their reader (sign-in, verification, invitation, re-challenge, unsubscribe), made at delivery.

An outbox row never stores such a link. The sender puts a `SecretLink` (which link maker, for which row id) in
the mail's context; the stored body holds a numbered placeholder instead of the URL and the row keeps the
recipe (`OutboundEmail.links`: maker name and ids, nothing secret). The worker that delivers the row asks the
maker for a fresh URL and writes it only into the message it hands to SMTP. So neither the outbox, the task
table nor Redis ever holds a URL that signs anyone in, before or after delivery, and a resend gets a fresh link.

Makers live in the apps that own the tokens (candidates, accounts, rechallenge, mailings' own unsubscribe) and
register themselves here from their `AppConfig.ready`: mailings sits below them and never imports them.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A maker gets the row's recipe parameters and the address the mail goes to; None when no link may be made
# any more (the invitation was accepted, the person erased): the mail is then not sent.
LinkMaker = Callable[[dict[str, Any], str], str | None]

_MAKERS: dict[str, LinkMaker] = {}

PLACEHOLDER = "[[secret-link:{n}]]"
_PLACEHOLDER = re.compile(r"\[\[secret-link:(\d+)\]\]")


@dataclass(frozen=True)
class SecretLink:
    """A link to be made at delivery: `maker` names a registered maker, `params` are ids and plain values."""

    maker: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def recipe(self) -> dict[str, Any]:
        return {"maker": self.maker, "params": dict(self.params)}


def param_id(params: dict[str, Any], key: str) -> int | None:
    """The row id a recipe names, or None when it names none (a recipe is data: never trusted blindly)."""
    value = params.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def link_maker_register(name: str, maker: LinkMaker) -> None:
    _MAKERS[name] = maker


def secret_links_extract(context: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The context with every SecretLink value replaced by its placeholder, and the recipes in placeholder order."""
    recipes: list[dict[str, Any]] = []
    rendered: dict[str, Any] = {}
    for key, value in context.items():
        if isinstance(value, SecretLink):
            if value.maker not in _MAKERS:
                raise LookupError(f"no link maker registered as {value.maker!r}")
            rendered[key] = PLACEHOLDER.format(n=len(recipes))
            recipes.append(value.recipe())
        else:
            rendered[key] = value
    return rendered, recipes


def placeholders_mask(text: str, mask: str) -> str:
    """`text` as a screen shows it: every placeholder replaced by `mask`."""
    return _PLACEHOLDER.sub(mask, text)


class LinkUnavailable(Exception):
    """A maker could not make its link any more (or none is registered): the mail must not go without it."""


def placeholders_fill(text: str, *, recipes: list[dict[str, Any]], to_email: str) -> str:
    """`text` with each placeholder replaced by a freshly made link, for the message handed to SMTP only."""
    urls: dict[int, str] = {}

    def fill(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index not in urls:
            if index >= len(recipes) or recipes[index].get("maker") not in _MAKERS:
                raise LinkUnavailable(index)
            recipe = recipes[index]
            url = _MAKERS[recipe["maker"]](dict(recipe.get("params") or {}), to_email)
            if url is None:
                raise LinkUnavailable(recipe["maker"])
            urls[index] = url
        return urls[index]

    return _PLACEHOLDER.sub(fill, text)
