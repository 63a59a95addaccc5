"""The registration challenge in a real browser: static/js/challenge.js solves the proof of work by itself, and
without JavaScript the short question gets the person through (issue 11: no third-party service)."""

from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from candidates.models import Candidate
from tests.browser import PHONE, browser, fill_registration, mobile, screenshot, site
from tests.conftest import Tenant

__all__ = ["browser", "mobile", "site"]  # fixtures

pytestmark = pytest.mark.browser


@pytest.fixture
def challenge_always(settings: Any) -> None:
    settings.REGISTRATION_CHALLENGE_AFTER = {"registration:ip": 0, "registration:link": 0}
    settings.CHALLENGE_BITS = 12
    settings.CHALLENGE_MIN_SECONDS = 0


@pytest.mark.usefixtures("challenge_always")
def test_the_browser_solves_the_proof_of_work_and_the_person_just_registers(
    site: str, mobile: BrowserContext, tenant: Tenant
) -> None:
    page = mobile.new_page()
    page.goto(f"{site}/r/{tenant.link.code}")
    expect(page.locator("[data-challenge]")).to_have_attribute("data-solved", "true", timeout=30_000)
    expect(page.locator("[data-challenge-status]")).to_contain_text("確認が済みました")
    expect(page.locator("[data-challenge-question]")).to_be_hidden()
    screenshot(page, "challenge-solved")

    fill_registration(page)
    page.get_by_label("利用規約と個人情報の取扱いに同意").check()
    page.get_by_role("button", name="同意して登録する").click()

    expect(page.get_by_role("heading", name="ご案内のメールをお送りしました")).to_be_visible()
    assert Candidate.objects.filter(email_normalized="hanako@example.jp").exists()


@pytest.mark.usefixtures("challenge_always")
def test_without_javascript_the_question_gets_the_person_through(site: str, browser: Browser, tenant: Tenant) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site}/r/{tenant.link.code}")
        label = page.locator("label[for=id_challenge_answer]").inner_text()
        left, right = (int(part) for part in label.split("、")[1].split(" の答え")[0].split(" たす "))
        fill_registration(page)
        page.get_by_label("利用規約と個人情報の取扱いに同意").check()
        page.get_by_label(label).fill(str(left + right))
        page.get_by_role("button", name="同意して登録する").click()

        expect(page.get_by_role("heading", name="ご案内のメールをお送りしました")).to_be_visible()
    finally:
        context.close()
