"""Reads of the 第三者提供の記録 (the agency's ledger) and of the same rows as each company's 確認記録."""

import csv
import io
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company
from lib.csvsafe import csv_safe
from placements.models import ProvisionRecord


def provision_records(*, company: Company | None = None, query: str = "") -> QuerySet[ProvisionRecord]:
    """Newest first; a company's own only when `company` is given. Records of deleted people are included."""
    records = ProvisionRecord.objects.select_related("company", "introduction__job_order", "consent")
    if company is not None:
        records = records.filter(company=company)
    if query:
        records = records.filter(
            Q(candidate_name__icontains=query)
            | Q(candidate_furigana__icontains=query)
            | Q(candidate_email__icontains=query)
            | Q(company_name__icontains=query)
        )
    return records.order_by("-created_at", "-id")


def provider() -> dict[str, str]:
    """Who provided the data, as the recipient's 確認記録 must name it (APPI 30条1項1号)."""
    return {
        "name": settings.OPERATOR_NAME,
        "address": settings.OPERATOR_ADDRESS,
        "license": settings.OPERATOR_LICENSE_NUMBER,
    }


def how_obtained() -> str:
    """How the provider obtained the data (30条1項2号): from the person, with their consent to this provision."""
    return _(
        "ご本人がキャリアリレーへの登録時に、ご紹介のために導入企業へプロフィールを提供することに同意し、"
        "このご紹介を承諾されたうえで提供したものです(個人情報保護法27条1項の同意に基づく提供)。"
    )


def _local(moment: object) -> str:
    return timezone.localtime(moment).strftime("%Y/%m/%d %H:%M") if moment else ""  # type: ignore[arg-type]


def provision_csv(records: Iterable[ProvisionRecord], *, for_company: bool) -> bytes:
    """UTF-8 with BOM; every text cell through `csv_safe`. A company's file is its 確認記録, with the provider."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [_("提供日時"), _("本人の氏名"), _("本人のフリガナ"), _("提供した項目"), _("提供の目的")]
    if for_company:
        header += [_("提供元"), _("提供元の住所"), _("取得の経緯")]
    else:
        header += [
            _("本人のメールアドレス(提供時)"),
            _("提供先"),
            _("根拠となった同意の日時"),
            _("同意の版"),
            _("同意の文言"),
            _("提供を行った者"),
            _("本人のアカウント削除日時"),
        ]
    writer.writerow([csv_safe(str(cell)) for cell in header])
    source = provider()
    obtained = how_obtained()
    for r in records:
        row = [_local(r.created_at), r.candidate_name, r.candidate_furigana, "、".join(r.item_labels), r.purpose]
        if for_company:
            row += [source["name"], source["address"], obtained]
        else:
            row += [
                r.candidate_email,
                r.company_name or r.company.name,
                _local(r.consent_at),
                r.consent_version,
                r.consent_wording,
                r.actor_label,
                _local(r.candidate_deleted_at),
            ]
        writer.writerow([csv_safe(str(cell)) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
