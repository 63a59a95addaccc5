"""The one base class for a business rule that refuses an action.

Services raise a subclass with a message the person can read (Japanese by default, through gettext);
views catch `RuleRefused` and show `str(error)` beside the form instead of answering 500.
"""


class RuleRefused(Exception):
    """A business rule said no. `str(error)` is the message for the person who asked."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
