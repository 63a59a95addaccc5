"""The credit terms sheet (無料紹介枠に関する契約条件書): one function writes it from a contract's terms.

Since 2025-04-01 a term of a 違約金 kind must be stated clearly before it applies; the claw-back of a credit when
a counted referral is invalidated, and the negative balance it can leave, are such terms, so every number the
ledger uses (relay/ledger.py) is written out here in words a company reads: what counts, the cooling-off, the
ratio, expiry, claw-back, the negative balance, using a credit, fees and refunds.

The sheet is a contract document between a Japanese agency and a Japanese company: like the standard rejection
texts (mailings/library.py) its wording is Japanese content, not screen text, and is not marked for
translation. Pure: it reads only the terms it is given (also used by the migration that wrote the first sheets).
"""

import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

COUNTING_VERIFIED = "verified"


class ContractLike(Protocol):
    referrals_per_credit: int
    credit_validity_months: int
    counting_rule: str
    cooling_off_hours: int
    rechallenge_first_months: int
    rechallenge_second_months: int
    entrusted_data_retention_days: int
    starts_on: date | None
    fee_rate_percent: Decimal
    minimum_fee_yen: int
    refund_schedule: Any
    consumption_tax_percent: Decimal


def contract_terms(contract: ContractLike) -> dict[str, Any]:
    """The terms as stored values (the audit log's diff and the sheet's snapshot)."""
    return {
        "referrals_per_credit": contract.referrals_per_credit,
        "credit_validity_months": contract.credit_validity_months,
        "counting_rule": contract.counting_rule,
        "cooling_off_hours": contract.cooling_off_hours,
        "rechallenge_first_months": contract.rechallenge_first_months,
        "rechallenge_second_months": contract.rechallenge_second_months,
        "entrusted_data_retention_days": contract.entrusted_data_retention_days,
        "starts_on": contract.starts_on.isoformat() if contract.starts_on else None,
        "fee_rate_percent": str(contract.fee_rate_percent),
        "minimum_fee_yen": contract.minimum_fee_yen,
        "refund_schedule": contract.refund_schedule,
        "consumption_tax_percent": str(contract.consumption_tax_percent),
    }


def _percent(value: str) -> str:
    return f"{Decimal(value).normalize():f}%"


def _refund_rows(schedule: list[dict[str, Any]]) -> list[str]:
    if not schedule:
        return ["  返戻金の定めはありません。"]
    rows = []
    for row in schedule:
        unit = "か月" if row["unit"] == "months" else "日"
        rows.append(f"  入社日から{row['within']}{unit}以内の退職: 紹介手数料の{row['percent']}%")
    return rows


def _entrusted_rows(days: Any) -> list[str]:
    # Sheets written before the retention term existed keep their text (their stored terms lack it).
    if days is None:
        return []
    return [
        "",
        "第10条(お預かりする応募者の情報)",
        "貴社から取り込み・ATS・APIでお預かりした応募者の情報は、貴社のお祈りメールの送信にのみ使用し(個人情報の取扱いの委託)、"
        f"最後のメール送信(送信がない場合は取り込み)から{int(days)}日で削除します。ご本人が当社にご登録された場合も、"
        "お預かりした情報は紹介の集計に必要な範囲を除いて削除します。",
    ]


def terms_sheet_text(
    *, terms: Mapping[str, Any], company_name: str, version: int, created_on: date, operator: Mapping[str, str]
) -> str:
    """The sheet's text for these terms (`contract_terms`), as the company reads it and the PDF prints it."""
    ratio = int(terms["referrals_per_credit"])
    validity = int(terms["credit_validity_months"])
    hours = int(terms["cooling_off_hours"])
    if terms["counting_rule"] == COUNTING_VERIFIED:
        counts = (
            "貴社のリレーリンクからご登録いただいた求職者のうち、利用規約と会員企業へのプロフィール提供に同意し、"
            "メールアドレスの確認を終えた方を1件の紹介としてカウントします。"
        )
    else:
        counts = (
            "貴社のリレーリンクからご登録いただいた求職者のうち、利用規約と会員企業へのプロフィール提供に同意し、"
            "メールアドレスの確認を終え、さらにキャリアアドバイザーとの初回面談を終えた方を1件の紹介としてカウントします。"
        )
    cooling = (
        f"カウントの条件を満たしてから{hours}時間の確認期間が過ぎた時点でカウントします。"
        if hours
        else "確認期間は設けず、カウントの条件を満たした時点でカウントします。"
    )
    expiry = (
        f"無料紹介枠の有効期間は、付与日から{validity}か月です。期間内に使用されなかった枠は失効します。"
        if validity
        else "無料紹介枠に有効期限はありません。"
    )
    minimum = int(terms["minimum_fee_yen"])
    starts = terms.get("starts_on")
    lines = [
        f"キャリアリレー 無料紹介枠に関する契約条件書(第{version}版)",
        "",
        f"対象企業: {company_name} 御中",
        f"作成日: {created_on:%Y年%m月%d日}",
        *([f"契約開始日: {date.fromisoformat(starts):%Y年%m月%d日}"] if starts else []),
        f"運営者: {operator['name']}(有料職業紹介事業 許可番号: {operator['license_number']})",
        f"所在地: {operator['address']} / お問い合わせ: {operator['email']}",
        "",
        "本書は、貴社と当社の間の無料紹介枠に関する条件を定めるものです。条件が変わるたびに新しい版を作成し、"
        "貴社のご確認をお願いします。変更後の条件は、変更の後にカウントされる紹介から適用します。",
        "",
        "第1条(紹介としてカウントされるもの)",
        counts,
        "同じ方のご登録は一度だけカウントします。すでに他のリンクからご登録済みの方、同じリンクからの2回目以降の"
        "ご登録はカウントしません。紹介のカウントは、ご紹介した方の採用・入社の有無にかかわりません。",
        "",
        "第2条(確認期間)",
        cooling,
        "不正の疑いがあるご登録は、当社の確認が終わるまでカウントしません。",
        "",
        "第3条(無料紹介枠の付与)",
        f"カウントされた紹介{ratio}件ごとに、無料紹介枠を1件付与します(紹介{ratio}件目、{ratio * 2}件目…の"
        "カウント時にそれぞれ1件)。",
        "",
        "第4条(有効期限)",
        expiry,
        "",
        "第5条(紹介の無効化による無料紹介枠の取消)【ご注意ください】",
        "カウントされた紹介を、当社が後に不正な登録・重複した登録などの理由で無効としたときは、その無効化によって"
        "条件を満たさなくなった無料紹介枠を取り消します。取消は、使用されていない枠のうち新しいものから行います。",
        "",
        "第6条(マイナス残高)【ご注意ください】",
        "取り消すべき枠がすべて使用済みなどで残っていないときは、無料紹介枠の残高がマイナスになります。"
        "残高がマイナスの間は無料紹介枠を使用できず、その後に付与される枠でマイナスが解消されてから使用できます。"
        "マイナス残高について、金銭のお支払いを求めることはありません。",
        "",
        "第7条(無料紹介枠の使用)",
        "求人ごとに無料紹介枠を1件確保して使用します。その求人へのご紹介で入社が決まった場合、紹介手数料は0円となり、"
        "枠を消費します。ご紹介の前に求人を取り下げた場合、確保した枠はお戻しします。",
        "",
        "第8条(紹介手数料と返戻金)",
        f"無料紹介枠を使用しないご紹介の紹介手数料は、理論年収の{_percent(terms['fee_rate_percent'])}(税抜)です。"
        + (f"最低手数料は{minimum:,}円(税抜)です。" if minimum else "最低手数料はありません。")
        + f"消費税は{_percent(terms['consumption_tax_percent'])}です。",
        "入社された方が早期に退職された場合、次のとおり紹介手数料の一部をご返還します(返還請求書を発行します)。",
        *_refund_rows(list(terms["refund_schedule"] or [])),
        "",
        "第9条(再チャレンジのご案内)",
        f"不採用から{int(terms['rechallenge_first_months'])}か月が過ぎると、ご希望された方に再チャレンジのご案内を"
        f"お送りいただけます。{int(terms['rechallenge_second_months'])}か月で2回目のご案内を自動でお送りします。",
        *_entrusted_rows(terms.get("entrusted_data_retention_days")),
    ]
    return "\n".join(lines) + "\n"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
