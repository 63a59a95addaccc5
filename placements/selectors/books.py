"""The statutory books of a 有料職業紹介事業者 (職業安定法施行規則24条の8): 求人管理簿, 求職管理簿, 手数料管理簿.

Each book is a list of rows of text cells, made from what the platform holds; an item it does not hold reads
`NOT_HELD` (「未登録」). A job order or a person's account that was deleted still has its row, from the
`BookSnapshot` written when it went (`placements/services/books.py`), until two years after completion
(DESIGN.md rule 15). The same row builders make the live rows and the snapshots, so they never differ.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Candidate
from lib.dates import JST, add_months, jst_midnight
from placements.models import BookSnapshot, Introduction, JobOrder, Placement

BOOK_RETENTION_MONTHS = 24  # 2 years after completion (施行規則24条の8第3項)
NOT_HELD = gettext_lazy("未登録")
# Introductions that reached the company (the person accepted): what 紹介 means in the books and reports.
NOT_INTRODUCED = (Introduction.Status.PROPOSED, Introduction.Status.DECLINED, Introduction.Status.CANCELLED)


def keep_until(completed_on: date) -> date:
    return add_months(completed_on, BOOK_RETENTION_MONTHS)


def _day(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = moment.astimezone(JST).date()
    return f"{moment:%Y/%m/%d}"


def fiscal_year_of(day: date) -> int:
    """The fiscal year (年度, April to March) a day belongs to: 2026/03/31 → 2025, 2026/04/01 → 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    """[1 April, next 1 April) of fiscal year `year`."""
    return date(year, 4, 1), date(year + 1, 4, 1)


def fiscal_year_moments(year: int) -> tuple[datetime, datetime]:
    first, after = fiscal_year_bounds(year)
    return jst_midnight(first), jst_midnight(after)


@dataclass
class Book:
    """One book as a screen or a CSV shows it: headers, the rows of held records, the rows of deleted ones."""

    title: str
    headers: list[str]
    rows: Iterable[list[str]]
    kept_rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- 求人管理簿 ---------------------------------------------------------------------------------------------------

JOB_ORDER_COLUMNS = (
    "number",
    "recruiter",
    "address",
    "contact",
    "received_on",
    "validity",
    "title",
    "job_category",
    "workplace",
    "employment",
    "wages",
    "introductions",
    "hired",
    "status",
    "completed_on",
)


def job_order_headers() -> list[str]:
    return [
        _("求人番号"),
        _("求人者の氏名又は名称"),
        _("所在地"),
        _("連絡先"),
        _("受付年月日"),
        _("有効期間"),
        _("求人名"),
        _("職種"),
        _("就業場所"),
        _("雇用形態・雇用期間"),
        _("賃金"),
        _("紹介状況"),
        _("採用の有無"),
        _("募集状況"),
        _("完了日(募集終了)"),
    ]


def _contacts(company_ids: Iterable[int]) -> dict[int, str]:
    """Each company's contact for the book: its owner's address (the platform holds no company phone)."""
    contacts: dict[int, str] = {}
    owners = User.objects.filter(company_id__in=set(company_ids), is_active=True).order_by("company_id", "id")
    for company_id, email, role in owners.values_list("company_id", "email", "company_role"):
        if company_id not in contacts or role == User.CompanyRole.OWNER:
            contacts.setdefault(company_id, email)
            if role == User.CompanyRole.OWNER:
                contacts[company_id] = email
    return contacts


def _closed_on(job_ids: Iterable[int]) -> dict[int, date]:
    targets = {f"placements.JobOrder#{pk}": pk for pk in job_ids}
    latest = (
        AuditEntry.objects.filter(action="job_order.closed", target__in=list(targets))
        .values("target")
        .annotate(at=Max("created_at"))
    )
    return {targets[row["target"]]: row["at"].astimezone(JST).date() for row in latest}


def job_order_row(
    job: JobOrder, *, contact: str, introduced: int, proposed: int, hired: int, closed_on: date | None
) -> dict[str, str]:
    employment = job.get_employment_type_display()
    if job.contract_term:
        employment = f"{employment}・{job.get_contract_term_display()}"
        if job.contract_term == JobOrder.ContractTerm.FIXED and job.contract_period:
            employment = f"{employment}({job.contract_period})"
    wages = _("想定年収 %(salary)s") % {"salary": job.salary_display}
    if job.base_pay:
        wages = f"{job.base_pay} / {wages}"
    closed = job.status == JobOrder.Status.CLOSED
    return {
        "number": str(job.pk),
        "recruiter": job.recruiter_name or job.company.name,
        "address": str(NOT_HELD),
        "contact": contact or str(NOT_HELD),
        "received_on": _day(job.created_at),
        "validity": str(NOT_HELD),
        "title": job.title,
        "job_category": str(job.get_job_category_display()),
        "workplace": job.workplace or f"{job.location_display}({_('都道府県のみ')})",
        "employment": str(employment),
        "wages": wages,
        "introductions": _("推薦 %(proposed)s件・紹介 %(introduced)s件")
        % {"proposed": proposed, "introduced": introduced},
        "hired": _("採用あり(%(n)s名)") % {"n": hired} if hired else _("採用なし"),
        "status": str(job.get_status_display()),
        "completed_on": _day(closed_on or job.updated_at) if closed else "",
    }


def annotated_job_orders(queryset: QuerySet[JobOrder]) -> QuerySet[JobOrder]:
    """Job orders with what their book rows count: proposals, introductions that reached the company, hires."""
    return queryset.select_related("company").annotate(
        n_proposed=Count("introductions", distinct=True),
        n_introduced=Count("introductions", filter=~Q(introductions__status__in=NOT_INTRODUCED), distinct=True),
        n_hired=Count("placements", distinct=True),
    )


def job_order_rows_for(jobs: list[JobOrder]) -> list[dict[str, str]]:
    """Book rows of job orders from `annotated_job_orders`."""
    contacts = _contacts(job.company_id for job in jobs)
    closed = _closed_on(job.pk for job in jobs if job.status == JobOrder.Status.CLOSED)
    return [
        job_order_row(
            job,
            contact=contacts.get(job.company_id, ""),
            introduced=job.n_introduced,  # type: ignore[attr-defined]
            proposed=job.n_proposed,  # type: ignore[attr-defined]
            hired=job.n_hired,  # type: ignore[attr-defined]
            closed_on=closed.get(job.pk),
        )
        for job in jobs
    ]


def _chunked(queryset: QuerySet[JobOrder], size: int = 500) -> Iterator[list[JobOrder]]:
    chunk: list[JobOrder] = []
    for job in queryset.iterator(chunk_size=size):
        chunk.append(job)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cells(row: dict[str, str], columns: Iterable[str]) -> list[str]:
    return [str(row.get(column, "")) for column in columns]


def _kept(book: str, columns: Iterable[str], received: tuple[date, date] | None) -> list[list[str]]:
    snapshots = BookSnapshot.objects.filter(book=book)
    if received:
        snapshots = snapshots.filter(received_on__gte=received[0], received_on__lt=received[1])
    columns = list(columns)
    return [
        [*_cells(snapshot.data, columns), _("削除済み(%(date)s まで保存)") % {"date": _day(snapshot.keep_until)}]
        for snapshot in snapshots
    ]


def job_order_book(*, fiscal_year: int | None = None) -> Book:
    jobs = JobOrder.objects.order_by("created_at", "id")
    received = fiscal_year_bounds(fiscal_year) if fiscal_year else None
    if fiscal_year:
        start, end = fiscal_year_moments(fiscal_year)
        jobs = jobs.filter(created_at__gte=start, created_at__lt=end)

    def rows() -> Iterator[list[str]]:
        for chunk in _chunked(annotated_job_orders(jobs)):
            for row in job_order_rows_for(chunk):
                yield [*_cells(row, JOB_ORDER_COLUMNS), _("保存中")]

    return Book(
        title=_("求人管理簿"),
        headers=[*job_order_headers(), _("記録")],
        rows=rows(),
        kept_rows=_kept(BookSnapshot.Book.JOB_ORDERS, JOB_ORDER_COLUMNS, received),
        notes=[
            _("所在地・有効期間は登録していないため「未登録」と記載しています(募集終了までを有効期間として扱います)。"),
            _("連絡先は求人企業の担当者(オーナー)のメールアドレスです。紹介は求職者ご本人が承諾した推薦の件数です。"),
        ],
    )


# --- 求職管理簿 ---------------------------------------------------------------------------------------------------

JOB_SEEKER_COLUMNS = (
    "number",
    "name",
    "birth",
    "address",
    "contact",
    "received_on",
    "validity",
    "job_category",
    "introductions",
    "employer",
    "completed_on",
)


def job_seeker_headers() -> list[str]:
    return [
        _("求職者番号"),
        _("氏名"),
        _("生年月日・年齢"),
        _("住所"),
        _("連絡先"),
        _("受付年月日"),
        _("有効期間"),
        _("希望職種"),
        _("紹介状況"),
        _("就職先"),
        _("完了日"),
    ]


def job_seeker_row(candidate: Candidate, *, completed_on: date | None = None) -> dict[str, str]:
    introductions = [intro for intro in candidate.introductions.all() if intro.status != Introduction.Status.CANCELLED]
    introduced = "; ".join(
        f"{intro.company.name}「{intro.job_order.title}」{intro.get_status_display()}" for intro in introductions
    )
    employers = "; ".join(
        _("%(company)s(入社日 %(date)s)") % {"company": placement.company.name, "date": _day(placement.start_date)}
        for placement in candidate.placements.all()
    )
    return {
        "number": str(candidate.pk),
        "name": candidate.name,
        "birth": str(NOT_HELD),
        "address": f"{candidate.get_prefecture_display()}({_('市区町村以下は未登録')})",
        "contact": f"{candidate.email} / {candidate.phone}",
        "received_on": _day(candidate.email_verified_at or candidate.created_at),
        "validity": str(NOT_HELD),
        "job_category": str(candidate.get_job_category_display()),
        "introductions": introduced or _("紹介なし"),
        "employer": employers or _("就職なし"),
        "completed_on": _day(completed_on),
    }


def _job_seekers(queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
    return queryset.prefetch_related(
        Prefetch("introductions", queryset=Introduction.objects.select_related("company", "job_order")),
        Prefetch("placements", queryset=Placement.objects.select_related("company")),
    )


def job_seeker_book(*, fiscal_year: int | None = None) -> Book:
    # Only a verified person applied (求職の申込み); an unverified registration is nobody's record.
    people = Candidate.objects.filter(email_verified_at__isnull=False).order_by("email_verified_at", "id")
    received = fiscal_year_bounds(fiscal_year) if fiscal_year else None
    if fiscal_year:
        start, end = fiscal_year_moments(fiscal_year)
        people = people.filter(email_verified_at__gte=start, email_verified_at__lt=end)

    def rows() -> Iterator[list[str]]:
        for candidate in _job_seekers(people).iterator(chunk_size=500):
            yield [*_cells(job_seeker_row(candidate), JOB_SEEKER_COLUMNS), _("保存中")]

    return Book(
        title=_("求職管理簿"),
        headers=[*job_seeker_headers(), _("記録")],
        rows=rows(),
        kept_rows=_kept(BookSnapshot.Book.JOB_SEEKERS, JOB_SEEKER_COLUMNS, received),
        notes=[
            _("生年月日・年齢と市区町村以下の住所は、求職者の方からお預かりしていないため「未登録」と記載しています。"),
            _("受付年月日はメールアドレスの確認日(求職のお申込みの完了日)です。有効期間は登録していません。"),
            _("退会された方の記録は、退会日から 2 年間保存し、その後自動で削除します。"),
        ],
    )


# --- 手数料管理簿 -------------------------------------------------------------------------------------------------


def fee_headers() -> list[str]:
    return [
        _("請求書番号"),
        _("求人者"),
        _("就職者"),
        _("入社日"),
        _("手数料の額(税抜)"),
        _("消費税"),
        _("請求額(税込)"),
        _("請求日"),
        _("徴収年月日"),
        _("無料紹介枠"),
        _("返戻金(税込)"),
        _("返戻金の計算日"),
    ]


def _erased_names() -> dict[int, str]:
    """The person's name for placements whose person deleted their account, from the 求職管理簿's snapshots."""
    names: dict[int, str] = {}
    for data, placement_ids in BookSnapshot.objects.filter(book=BookSnapshot.Book.JOB_SEEKERS).values_list(
        "data", "placement_ids"
    ):
        for pk in placement_ids or []:
            names[int(pk)] = str(data.get("name", ""))
    return names


def fee_book(*, fiscal_year: int | None = None) -> Book:
    placements = Placement.objects.select_related("company", "candidate").order_by("invoiced_on", "id")
    if fiscal_year:
        first, after = fiscal_year_bounds(fiscal_year)
        placements = placements.filter(invoiced_on__gte=first, invoiced_on__lt=after)
    erased = _erased_names()

    def rows() -> Iterator[list[str]]:
        for placement in placements.iterator(chunk_size=500):
            person = placement.candidate.name if placement.candidate else erased.get(placement.pk, _("退会済み"))
            yield [
                placement.invoice_number,
                placement.company.name,
                person,
                _day(placement.start_date),
                str(placement.fee_yen),
                str(placement.tax_yen),
                str(placement.total_yen),
                _day(placement.invoiced_on),
                _("%(held)s(お支払期限 %(due)s)") % {"held": str(NOT_HELD), "due": _day(placement.due_on)},
                _("利用(0円)") if placement.waived else "",
                str(placement.refund_total_yen) if placement.refund_total_yen else "0",
                _day(placement.refund_recorded_at) if placement.refund_total_yen else "",
            ]

    return Book(
        title=_("手数料管理簿"),
        headers=fee_headers(),
        rows=rows(),
        notes=[
            _("金額は円です。無料紹介枠を利用した成約は、手数料 0 円として記載しています(枠の利用は無償です)。"),
            _("入金日は記録していないため、徴収年月日は「未登録」とし、お支払期限を併記しています。"),
            _("成約と請求の記録は削除されません(発行した請求書は変更しません)。"),
        ],
    )
