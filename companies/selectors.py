"""Reads of a company's terms sheets: the current version and who confirmed it."""

from dataclasses import dataclass

from companies.models import Company, TermsAcknowledgement, TermsSheet


@dataclass(frozen=True)
class TermsStatus:
    current: TermsSheet | None
    acknowledgements: list[TermsAcknowledgement]  # of the current version
    history: list[TermsSheet]  # newest first, each with its acknowledgements prefetched

    @property
    def pending(self) -> bool:
        """The current version waits for the company's confirmation (the banner on the company home)."""
        return self.current is not None and not self.acknowledgements


def terms_status(company: Company) -> TermsStatus:
    history = list(
        TermsSheet.objects.filter(contract__company=company).order_by("-version").prefetch_related("acknowledgements")
    )
    current = history[0] if history else None
    acknowledgements = list(current.acknowledgements.all()) if current is not None else []
    return TermsStatus(current=current, acknowledgements=acknowledgements, history=history)
