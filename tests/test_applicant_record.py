"""Storing a rejected applicant once, whichever import, webhook or API call reports them (applicant_record)."""

import pytest

from applicants.models import Applicant
from applicants.services import applicant_record
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def test_it_normalises_full_width_input(tenant: Tenant) -> None:
    recorded = applicant_record(
        company=tenant.company,
        source=Applicant.Source.CSV,
        name="山田　太郎",
        email="ＴＡＲＯ＠Example.JP",
        position="ｴﾝｼﾞﾆｱ",
        external_system="herp",
        external_id="Ａ－１２３",
    )

    applicant = recorded.applicant
    assert recorded.created
    assert applicant.name == "山田 太郎"
    assert applicant.email == applicant.email_normalized == "taro@example.jp"
    assert applicant.position == "エンジニア"
    assert applicant.external_id == "A-123"


def test_the_same_ats_id_in_the_same_system_is_one_applicant(tenant: Tenant) -> None:
    first = applicant_record(
        company=tenant.company,
        source="csv",
        name="山田 太郎",
        email="a@example.jp",
        external_system="herp",
        external_id="1",
    )
    again = applicant_record(
        company=tenant.company, source="csv", name="別名", email="b@example.jp", external_system="herp", external_id="1"
    )

    assert not again.created
    assert again.applicant.pk == first.applicant.pk
    assert again.applicant.name == "山田 太郎"  # the first record is kept unchanged


def test_the_same_id_in_another_system_is_another_applicant_with_its_own_ref(tenant: Tenant) -> None:
    herp = applicant_record(
        company=tenant.company, source="csv", name="A", email="a@example.jp", external_system="herp", external_id="77"
    ).applicant
    lever = applicant_record(
        company=tenant.company,
        source="lever",
        name="B",
        email="b@example.jp",
        external_system="lever",
        external_id="77",
    ).applicant

    assert herp.pk != lever.pk
    assert herp.ref == "77"
    assert lever.ref != herp.ref
    assert lever.ref.startswith("cr-")


def test_without_an_id_the_same_address_for_the_same_position_is_a_duplicate(tenant: Tenant) -> None:
    first = applicant_record(company=tenant.company, source="manual", name="A", email="a@example.jp", position="営業")
    same = applicant_record(company=tenant.company, source="manual", name="A", email="Ａ@example.jp", position="営業")
    other_position = applicant_record(
        company=tenant.company, source="manual", name="A", email="a@example.jp", position="経理"
    )

    assert not same.created and same.applicant.pk == first.applicant.pk
    assert other_position.created


def test_companies_never_share_applicants(tenant: Tenant, outsider: Tenant) -> None:
    mine = applicant_record(
        company=tenant.company, source="api", name="A", email="a@example.jp", external_system="api", external_id="9"
    )
    theirs = applicant_record(
        company=outsider.company, source="api", name="A", email="a@example.jp", external_system="api", external_id="9"
    )

    assert theirs.created
    assert mine.applicant.pk != theirs.applicant.pk
    assert mine.applicant.ref == theirs.applicant.ref == "9"  # refs are per company; links are signed per link
