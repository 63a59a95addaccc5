from functools import cached_property
from typing import Any

from django.core.paginator import Paginator


class CappedPaginator(Paginator[Any]):
    """Counts at most `cap` rows, so a broad filter over a large table never pays for a full COUNT.

    Past the cap the list says "more than N" and asks for a narrower filter instead of offering page 2,001.
    """

    def __init__(self, object_list: Any, per_page: int, cap: int = 10_000, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        rows: Any = self.object_list
        # Which rows fall under the cap does not matter for counting: drop the sort and the display-only joins.
        return int(rows.select_related(None).order_by()[: self.cap + 1].count())

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
