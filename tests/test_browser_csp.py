"""The main pages in a real browser under the strict Content-Security-Policy: not one violation is reported,
and what the inline handlers used to do still works from static/js/app.js (progress bars, confirmations,
merge-field buttons)."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from accounts.models import User
from candidates.models import Candidate
from tests.browser import browser, fill_registration, sign_in, site
from tests.conftest import Tenant, register_verified

__all__ = ["browser", "site"]  # fixtures

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}
# Runs before the page's own scripts (Playwright injects it outside the page's CSP) and keeps every violation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


class Watched:
    def __init__(self, context: BrowserContext) -> None:
        self.console: list[str] = []
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def violations(self) -> list[str]:
        recorded: list[str] = self.page.evaluate("window.__cspViolations || []")
        return recorded + [line for line in self.console if "Content Security Policy" in line or "pageerror" in line]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_VIOLATIONS)
    try:
        yield Watched(context)
    finally:
        context.close()


def visit(watched: Watched, url: str) -> Page:
    watched.page.goto(url)
    watched.page.wait_for_load_state("load")
    assert watched.violations() == [], url
    return watched.page


def test_landing_and_registration_run_with_no_csp_violation(site: str, watched: Watched, tenant: Tenant) -> None:
    page = visit(watched, tenant.link.public_url)
    fill_registration(page)
    page.get_by_label("利用規約と個人情報の取扱いに同意").check()
    page.get_by_role("button", name="同意して登録する").click()
    expect(page.get_by_role("heading", name="ご案内のメールをお送りしました")).to_be_visible()

    assert watched.violations() == []
    assert Candidate.objects.count() == 1


def test_company_pages_run_with_no_csp_violation_and_keep_their_behaviour(
    site: str, watched: Watched, tenant: Tenant
) -> None:
    for n in range(3):
        register_verified(tenant.link, email=f"person{n}@example.jp")
    sign_in(watched.page, site, tenant.owner)
    page = visit(watched, f"{site}/company/")
    # 3 of 10 toward the next credit: the bar's width is set by app.js from data-percent, not an inline style.
    bar = page.locator("#next-credit .progress > span")
    width = bar.evaluate("bar => bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width")
    assert 0.25 < width < 0.35

    page = visit(watched, f"{site}/company/mail/templates/new/")
    page.get_by_label("件名").click()
    page.locator("[data-insert='{{署名}}']").click()  # body only: never the subject, even when it has the cursor
    assert "{{署名}}" in page.get_by_label("本文").input_value()
    assert "{{署名}}" not in page.get_by_label("件名").input_value()
    page.get_by_label("本文").fill("{{応募者名}} 様、ご応募ありがとうございました。")  # htmx renders the preview
    expect(page.locator("#preview")).to_contain_text("ご応募ありがとうございました。")
    assert watched.violations() == []


def test_an_ops_page_runs_with_no_csp_violation_and_asks_before_deleting(
    site: str, watched: Watched, operator: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    candidate.resume.name, candidate.resume_filename, candidate.resume_size = "resumes/x.pdf", "履歴書.pdf", 1000
    candidate.save()
    sign_in(watched.page, site, operator)
    page = visit(watched, f"{site}/ops/candidates/{candidate.pk}/")
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="削除する").click()

    expect(page).to_have_url(f"{site}/ops/candidates/{candidate.pk}/")
    assert questions == ["履歴書を削除します。よろしいですか?"]
    assert watched.violations() == []
