"""Accessibility of the main pages, checked by axe-core (axe-playwright-python) in Chromium (issue 15, point 11):
no critical or serious violation on any page a company, an operator or a candidate uses every day.

Each page is opened as its user would, after a flash message where one is usual, and scanned whole."""

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.mail import EmailMessage
from playwright.sync_api import Browser, Page

from candidates.tokens import candidate_token_make
from tests.browser import PHONE, browser, sign_in, site
from tests.conftest import Tenant, register_verified
from tests.test_outbox import DUMMY_TASKS, queue

__all__ = ["browser", "site"]  # fixtures

pytestmark = pytest.mark.browser

OFFICE: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1366, "height": 800}}
BLOCKING = ("critical", "serious")


def _violations(page: Page, axe: Axe) -> list[str]:
    results = axe.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}) at {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def test_the_main_pages_of_every_user_have_no_critical_or_serious_accessibility_violation(
    site: str, browser: Browser, tenant: Tenant, operator: Any, settings: Any, mailoutbox: list[EmailMessage]
) -> None:
    settings.TASKS = DUMMY_TASKS
    queue(tenant)  # a mail waiting: the outbox shows its live list and a status
    person = register_verified(tenant.link, name="確認 花子")
    axe = Axe()
    found: list[str] = []

    office = browser.new_context(**OFFICE)
    try:
        page = office.new_page()
        sign_in(page, site, tenant.owner)
        for path in (
            "/company/",
            "/company/applicants/",
            "/company/applicants/imports/",
            "/company/mail/outbox/",
            "/company/mail/templates/",
            "/company/mail/rules/",
            "/company/mail/settings/",
            "/company/links/",
            f"/company/links/{tenant.link.pk}/",
            "/company/insights/",
            "/company/referrals/",
            "/company/jobs/",
            "/company/users/",
            "/company/integrations/",
        ):
            page.goto(site + path)
            found += _violations(page, axe)
        page.context.clear_cookies()
        sign_in(page, site, operator)
        for path in ("/ops/", "/ops/candidates/", f"/ops/candidates/{person.pk}/", "/ops/mail/", "/ops/referrals/",
                     "/ops/jobs/", "/ops/introductions/", "/ops/placements/", "/ops/insights/"):
            page.goto(site + path)
            found += _violations(page, axe)
    finally:
        office.close()

    phone = browser.new_context(**PHONE)
    try:
        page = phone.new_page()
        page.goto(f"{site}/r/{tenant.link.code}")
        found += _violations(page, axe)
        page.goto(f"{site}/me/auth/{candidate_token_make(person, 'login')}/")  # lands on My Page with a message
        found += _violations(page, axe)
        for path in ("/me/consents/", "/me/data/", "/me/profile/"):
            page.goto(site + path)
            found += _violations(page, axe)
    finally:
        phone.close()

    assert not found, "\n".join(found)
