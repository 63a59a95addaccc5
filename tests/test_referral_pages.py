"""One page of referrals, filtered by status the same way on the company's and the operator's lists."""

import pytest

from relay.models import Referral
from relay.selectors import referrals_page
from tests.conftest import Tenant, register, register_verified

pytestmark = pytest.mark.django_db


def test_a_known_status_narrows_the_page_to_that_status(tenant: Tenant) -> None:
    register_verified(tenant.link, name="数える 人")
    register(tenant.link, name="待つ 人")
    page, status = referrals_page(Referral.objects.all(), status="pending", number=None)
    assert status == "pending"
    assert [referral.status for referral in page] == [Referral.Status.PENDING_VERIFICATION]


@pytest.mark.parametrize("asked", ["", "registered", "<script>", "COUNTED"])
def test_anything_but_a_known_status_shows_every_referral_and_no_filter(tenant: Tenant, asked: str) -> None:
    register_verified(tenant.link)
    register(tenant.link)
    page, status = referrals_page(Referral.objects.all(), status=asked, number=None)
    assert status == ""
    assert len(page) == 2


def test_a_page_number_past_the_end_shows_the_last_page(tenant: Tenant) -> None:
    register(tenant.link)
    page, _ = referrals_page(Referral.objects.all(), status="", number="99")
    assert page.number == 1 and len(page) == 1
