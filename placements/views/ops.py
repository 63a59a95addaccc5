"""The operator's placements screens (/ops/): job orders for any company, the credit queue, placements and fees,
matching and introductions."""

import itertools
import time
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import operator_required, request_user
from accounts.permissions import Permission
from candidates.models import Candidate
from companies.models import Company
from lib.jatext import nfkc
from placements.documents.books import csv_response
from placements.documents.credit_note import credit_note_response
from placements.documents.invoice import invoice_response
from placements.fees import Terms, placement_fee
from placements.forms import (
    IntroductionCommentForm,
    IntroductionMoveForm,
    JobOrderFilterForm,
    JobOrderForm,
    LeavingForm,
    OpsJobOrderForm,
    PlacementForm,
    PoolReviewFilterForm,
    PoolReviewForm,
    ProposeForm,
    ReleaseForm,
    RequestDeclineForm,
)
from placements.models import (
    CreditNote,
    CreditReservation,
    Introduction,
    IntroductionEvent,
    IntroductionRequest,
    JobOrder,
    Placement,
    PoolListing,
)
from placements.selectors.books import Book, fee_book, job_order_book, job_seeker_book
from placements.selectors.eligibility import introduction_refusal
from placements.selectors.guard import placement_guard_for
from placements.selectors.matching import guarded_related_count, matches_for_candidate, matches_for_job
from placements.selectors.provisions import provision_csv, provision_records
from placements.selectors.reports import annual_report, disclosure_figures, fiscal_years
from placements.services.credit_use import (
    INTERVIEW_REACHED,
    NOT_YET_INTRODUCED,
    CreditError,
    active_reservation,
    credit_release,
)
from placements.services.introductions import (
    IntroductionNotAllowed,
    introduction_cancel,
    introduction_comment,
    introduction_propose,
    introduction_request_decline,
    selection_moves,
    working_conditions_refusal,
)
from placements.services.jobs import job_order_create, job_order_update
from placements.services.placements import placement_record, placement_record_leaving, placement_totals
from placements.services.pool import PoolReviewRefused, pool_listing_review
from placements.views import introduction_move_from, job_order_status_change

# --- job orders ----------------------------------------------------------------------------------------------------


@operator_required(Permission.JOB_ORDERS)
def job_order_list(request: HttpRequest) -> HttpResponse:
    filters = JobOrderFilterForm(request.GET or None)
    job_orders = JobOrder.objects.select_related("company")
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    if status:
        job_orders = job_orders.filter(status=status)
    company_id = request.GET.get("company", "")
    company = Company.objects.filter(pk=int(company_id)).first() if company_id.isdigit() else None
    if company is not None:
        job_orders = job_orders.filter(company=company)
    page = Paginator(job_orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/ops/job_order_list.html",
        {
            "page": page,
            "filters": filters,
            "status": status,
            "company": company,
            "companies": Company.objects.order_by("name"),
        },
    )


@operator_required(Permission.JOB_ORDERS)
@require_http_methods(["GET", "POST"])
def job_order_new(request: HttpRequest) -> HttpResponse:
    initial = {"company": request.GET["company"]} if request.GET.get("company", "").isdigit() else {}
    form = OpsJobOrderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        company = form.cleaned_data["company"]
        # The recruiter (募集者) is normally the company itself.
        data = {**form.cleaned_data, "recruiter_name": form.cleaned_data.get("recruiter_name") or company.name}
        job_order = job_order_create(company=company, data=data, actor=request_user(request))
        messages.success(
            request,
            _("%(company)s の求人「%(title)s」を登録しました。") % {"company": company.name, "title": job_order.title},
        )
        return redirect("ops:job_order_edit", pk=job_order.pk)
    return render(request, "placements/ops/job_order_form.html", {"form": form})


@operator_required(Permission.JOB_ORDERS)
@require_http_methods(["GET", "POST"])
def job_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    job_order = get_object_or_404(JobOrder.objects.select_related("company"), pk=pk)
    form = JobOrderForm(request.POST if request.method == "POST" else None, instance=job_order)
    if request.method == "POST" and form.is_valid():
        job_order_update(job_order=job_order, data=form.cleaned_data, actor=request_user(request))
        messages.success(request, _("求人「%(title)s」を更新しました。") % {"title": form.cleaned_data["title"]})
        return redirect("ops:job_order_edit", pk=job_order.pk)
    return render(
        request,
        "placements/ops/job_order_form.html",
        {"form": form, "job_order": job_order, "missing": job_order.working_conditions_missing()},
    )


@operator_required(Permission.JOB_ORDERS)
@require_POST
def job_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    job_order = job_order_status_change(request, get_object_or_404(JobOrder, pk=pk))
    return redirect("ops:job_order_edit", pk=job_order.pk)


# --- credit queue and placements -----------------------------------------------------------------------------------


@operator_required(Permission.CREDIT_QUEUE)
def credit_queue(request: HttpRequest) -> HttpResponse:
    """Credit orders waiting for introductions, oldest reservation first: the agency promised them."""
    interviews = IntroductionEvent.objects.filter(
        introduction__job_order=OuterRef("job_order"), status=Introduction.Status.INTERVIEW
    )
    reservations = (
        CreditReservation.objects.filter(status=CreditReservation.Status.RESERVED)
        .select_related("company", "job_order")
        .annotate(
            proposed=Count("job_order__introductions", distinct=True),
            introduced=Count(
                "job_order__introductions",
                filter=~Q(job_order__introductions__status__in=NOT_YET_INTRODUCED),
                distinct=True,
            ),
            at_interview=Count(
                "job_order__introductions",
                filter=Q(job_order__introductions__status__in=INTERVIEW_REACHED),
                distinct=True,
            ),
            hired_unrecorded=Count(
                "job_order__introductions",
                filter=Q(
                    job_order__introductions__status=Introduction.Status.HIRED,
                    job_order__introductions__placement__isnull=True,
                ),
                distinct=True,
            ),
            interviewed_before=Exists(interviews),
        )
        .order_by("reserved_at", "id")
    )
    page = Paginator(reservations, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "reservation": r,
            "days_waiting": (now - r.reserved_at).days,
            "interview_reached": bool(getattr(r, "at_interview", 0) or getattr(r, "interviewed_before", False)),
            "hired_unrecorded": getattr(r, "hired_unrecorded", 0),
        }
        for r in page
    ]
    return render(request, "placements/ops/credit_queue.html", {"page": page, "rows": rows})


@operator_required(Permission.CREDIT_RELEASE)
@require_http_methods(["GET", "POST"])
def credit_release_ops(request: HttpRequest, pk: int) -> HttpResponse:
    reservation = get_object_or_404(CreditReservation.objects.select_related("company", "job_order"), pk=pk)
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            credit_release(
                reservation=reservation,
                actor=request_user(request),
                reason=form.cleaned_data["reason"],
                by_operator=True,
            )
        except CreditError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(company)s の無料紹介枠の確保を解除しました。") % {"company": reservation.company.name},
            )
            return redirect("ops:credit_queue")
    return render(request, "placements/ops/credit_release.html", {"reservation": reservation, "form": form})


@operator_required(Permission.PLACEMENTS)
def placement_list_ops(request: HttpRequest) -> HttpResponse:
    placements = Placement.objects.select_related("company", "job_order", "candidate")
    company_id = request.GET.get("company", "")
    company = Company.objects.filter(pk=int(company_id)).first() if company_id.isdigit() else None
    if company is not None:
        placements = placements.filter(company=company)
    awaiting = (
        Introduction.objects.filter(status=Introduction.Status.HIRED, placement__isnull=True)
        .select_related("company", "job_order", "candidate")
        .order_by("updated_at")
    )
    if company is not None:
        awaiting = awaiting.filter(company=company)
    page = Paginator(placements, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/ops/placement_list.html",
        {
            "page": page,
            "totals": placement_totals(placements),
            "awaiting": awaiting[:50],
            "company": company,
            "companies": Company.objects.order_by("name"),
        },
    )


@operator_required(Permission.PLACEMENTS)
@require_http_methods(["GET", "POST"])
def placement_new(request: HttpRequest) -> HttpResponse:
    introduction_id = request.GET.get("introduction", "")
    if not introduction_id.isdigit():
        raise Http404
    introduction = get_object_or_404(
        Introduction.objects.select_related("company__contract", "job_order", "candidate"), pk=int(introduction_id)
    )
    existing = Placement.objects.filter(introduction=introduction).first()
    if existing is not None:
        messages.info(request, _("この推薦の成約はすでに登録されています。"))
        return redirect("ops:placement_detail", pk=existing.pk)
    form = PlacementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            placement = placement_record(introduction=introduction, actor=request_user(request), **form.cleaned_data)
        except CreditError as error:
            messages.error(request, str(error))
        else:
            if placement.waived:
                text = _("成約を登録しました。無料紹介枠の適用により手数料は 0 円です(削減額 %(saving)s 円)。") % {
                    "saving": f"{placement.saving_yen:,}"
                }
            else:
                text = _("成約を登録しました。紹介手数料は税込 %(total)s 円です。") % {
                    "total": f"{placement.total_yen:,}"
                }
            messages.success(request, text)
            return redirect("ops:placement_detail", pk=placement.pk)
    terms = Terms.of_contract(introduction.company.contract)
    quote: Any = None
    if form.is_bound and form.is_valid():
        quote = placement_fee(form.cleaned_data["annual_salary_yen"], terms)
    return render(
        request,
        "placements/ops/placement_form.html",
        {
            "introduction": introduction,
            "form": form,
            "terms": terms,
            "contract": introduction.company.contract,
            "reservation": active_reservation(introduction.job_order),
            "quote": quote,
            "hired": introduction.status == Introduction.Status.HIRED,
        },
    )


@operator_required(Permission.PLACEMENTS)
@require_http_methods(["GET", "POST"])
def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_object_or_404(
        Placement.objects.select_related("company", "job_order", "candidate", "introduction", "recorded_by"), pk=pk
    )
    form = LeavingForm(
        request.POST if request.method == "POST" else None,
        initial={"left_on": placement.left_on} if placement.left_on else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            placement = placement_record_leaving(
                placement=placement, left_on=form.cleaned_data["left_on"], actor=request_user(request)
            )
        except CreditError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("退職日を登録しました。返戻金は税込 %(total)s 円(返戻率 %(percent)s%%)です。")
                % {"total": f"{placement.refund_total_yen:,}", "percent": placement.refund_percent},
            )
            return redirect("ops:placement_detail", pk=placement.pk)
    return render(request, "placements/ops/placement_detail.html", {"placement": placement, "form": form})


@operator_required(Permission.PLACEMENTS)
def placement_invoice_ops(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_object_or_404(Placement.objects.select_related("company", "job_order", "candidate"), pk=pk)
    return invoice_response(placement)


@operator_required(Permission.PLACEMENTS)
def placement_credit_note_ops(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(
        CreditNote.objects.select_related("placement__company", "placement__job_order", "replaces"), pk=pk
    )
    return credit_note_response(note)


# --- matching and introductions ------------------------------------------------------------------------------------


@operator_required(Permission.INTRODUCTIONS)
def job_matches(request: HttpRequest, pk: int) -> HttpResponse:
    job_order = get_object_or_404(JobOrder.objects.select_related("company"), pk=pk)
    started = time.perf_counter()
    matches = matches_for_job(job_order)
    elapsed_ms = round(1000 * (time.perf_counter() - started))
    return render(
        request,
        "placements/ops/job_matches.html",
        {
            "job_order": job_order,
            "matches": matches,
            "elapsed_ms": elapsed_ms,
            "proposed": job_order.introductions.count(),
            "missing": job_order.working_conditions_missing(),
            "guarded": guarded_related_count(job_order),
        },
    )


@operator_required(Permission.INTRODUCTIONS)
def candidate_matches(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(Candidate, pk=pk)
    return render(
        request,
        "placements/ops/candidate_matches.html",
        {
            "candidate": candidate,
            "matches": matches_for_candidate(candidate),
            "guard": placement_guard_for(candidate),
            "introductions": candidate.introductions.select_related("job_order", "company"),
        },
    )


@operator_required(Permission.INTRODUCTIONS)
@require_http_methods(["GET", "POST"])
def introduction_new(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    job_id, candidate_id, request_id = (params.get(key, "") for key in ("job", "candidate", "request"))
    job_order = get_object_or_404(JobOrder.objects.select_related("company"), pk=job_id) if job_id.isdigit() else None
    candidate = get_object_or_404(Candidate, pk=candidate_id) if candidate_id.isdigit() else None
    pool_request = (
        get_object_or_404(IntroductionRequest, pk=request_id, status=IntroductionRequest.Status.OPEN)
        if request_id.isdigit()
        else None
    )
    if pool_request is not None:
        job_order, candidate = pool_request.job_order, pool_request.candidate
    if job_order is None or candidate is None:
        messages.error(request, _("推薦する求人と求職者を選んでください。"))
        return redirect("ops:introductions")
    form = ProposeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            introduction = introduction_propose(
                job_order=job_order,
                candidate=candidate,
                recommendation=form.cleaned_data["recommendation"],
                actor=request_user(request),
                request=pool_request,
            )
        except IntroductionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s さんに求人「%(title)s」へのご紹介をお送りしました。ご本人の承諾をお待ちください。")
                % {"name": candidate.name, "title": job_order.title},
            )
            return redirect("ops:introduction_detail", pk=introduction.pk)
    return render(
        request,
        "placements/ops/introduction_new.html",
        {
            "form": form,
            "job_order": job_order,
            "candidate": candidate,
            "pool_request": pool_request,
            "refusal": (
                introduction_refusal(candidate, job_order.company) or working_conditions_refusal(job_order)
                if job_order.status == JobOrder.Status.OPEN
                else _("求人「%(title)s」は募集中ではないため、推薦できません。") % {"title": job_order.title}
            ),
            "missing": job_order.working_conditions_missing(),
        },
        status=400 if form.errors else 200,
    )


@operator_required(Permission.INTRODUCTIONS)
def introduction_list(request: HttpRequest) -> HttpResponse:
    introductions = Introduction.objects.select_related("job_order", "company", "candidate")
    status = request.GET.get("status", "")
    if status in Introduction.Status.values:
        introductions = introductions.filter(status=status)
    page = Paginator(introductions, 50).get_page(request.GET.get("page"))
    open_requests = (
        IntroductionRequest.objects.filter(status=IntroductionRequest.Status.OPEN)
        .select_related("company", "job_order", "candidate", "requested_by")
        .order_by("created_at", "id")
    )
    return render(
        request,
        "placements/ops/introduction_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Introduction.Status.choices,
            "open_requests": open_requests,
            "decline_form": RequestDeclineForm(),
        },
    )


def _detail(request: HttpRequest, introduction: Introduction, **forms: object) -> HttpResponse:
    context: dict[str, object] = {
        "introduction": introduction,
        "events": introduction.events.select_related("actor"),
        "move_form": IntroductionMoveForm(moves=selection_moves(introduction)),
        "comment_form": IntroductionCommentForm(),
        "provisions": introduction.provision_records.all(),
        **forms,
    }
    return render(request, "placements/ops/introduction_detail.html", context, status=400 if forms else 200)


def _introduction(pk: int) -> Introduction:
    return get_object_or_404(Introduction.objects.select_related("job_order", "company", "candidate"), pk=pk)


@operator_required(Permission.INTRODUCTIONS)
def introduction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _introduction(pk))


@operator_required(Permission.INTRODUCTIONS)
@require_POST
def introduction_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    introduction = _introduction(pk)
    form = IntroductionMoveForm(request.POST, moves=selection_moves(introduction))
    if not form.is_valid():
        return _detail(request, introduction, move_form=form)
    introduction = introduction_move_from(request, introduction, form)
    return redirect("ops:introduction_detail", pk=introduction.pk)


@operator_required(Permission.INTRODUCTIONS)
@require_POST
def introduction_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    introduction = _introduction(pk)
    form = IntroductionCommentForm(request.POST)
    if not form.is_valid():
        return _detail(request, introduction, comment_form=form)
    introduction_comment(introduction=introduction, comment=form.cleaned_data["comment"], actor=request_user(request))
    messages.success(request, _("コメントを記録しました。"))
    return redirect("ops:introduction_detail", pk=introduction.pk)


@operator_required(Permission.INTRODUCTIONS)
@require_POST
def introduction_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    introduction = _introduction(pk)
    try:
        introduction_cancel(
            introduction=introduction, actor=request_user(request), comment=request.POST.get("comment", "")
        )
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("推薦を取り下げました。"))
    return redirect("ops:introduction_detail", pk=introduction.pk)


@operator_required(Permission.INTRODUCTIONS)
@require_POST
def request_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    pool_request = get_object_or_404(IntroductionRequest, pk=pk)
    form = RequestDeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("企業へのご回答を入力してください。"))
        return redirect("ops:introductions")
    try:
        introduction_request_decline(request=pool_request, actor=request_user(request), note=form.cleaned_data["note"])
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("紹介依頼をお見送りとして回答しました。"))
    return redirect("ops:introductions")


# --- the talent pool's review ----------------------------------------------------------------------------------------


@operator_required(Permission.CANDIDATES)
def pool_review_list(request: HttpRequest) -> HttpResponse:
    """Profiles waiting for an advisor before they are listed (or, by state, those listed or kept out)."""
    filters = PoolReviewFilterForm(request.GET or None)
    state = (filters.cleaned_data["state"] if filters.is_valid() else "") or PoolListing.State.PENDING
    listings = PoolListing.objects.filter(state=state).select_related("candidate", "reviewed_by")
    counts = dict(PoolListing.objects.values_list("state").annotate(n=Count("pk")).order_by())
    page = Paginator(listings, 50).get_page(request.GET.get("page"))
    states = [(value, label, counts.get(value, 0)) for value, label in PoolListing.State.choices]
    return render(request, "placements/ops/pool_review_list.html", {"page": page, "state": state, "states": states})


@operator_required(Permission.CANDIDATES)
@require_http_methods(["GET", "POST"])
def pool_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's own text beside what companies would read, with the buttons to list it or keep it out."""
    listing = get_object_or_404(PoolListing.objects.select_related("candidate", "reviewed_by"), pk=pk)
    form = PoolReviewForm(
        request.POST if request.method == "POST" else None, initial={"redacted_summary": listing.redacted_summary}
    )
    if request.method == "POST" and form.is_valid():
        try:
            pool_listing_review(
                listing=listing,
                state=form.cleaned_data["state"],
                redacted_summary=form.cleaned_data["redacted_summary"],
                actor=request_user(request),
            )
        except PoolReviewRefused as error:
            form.add_error(None, str(error))
        else:
            if form.cleaned_data["state"] == PoolListing.State.LISTED:
                messages.success(request, _("プロフィールを人材プールに掲載しました。"))
            else:
                messages.success(request, _("プロフィールを人材プールに掲載しないことにしました。"))
            return redirect(f"{reverse('ops:pool_review_list')}?state={PoolListing.State.PENDING}")
    return render(
        request,
        "placements/ops/pool_review.html",
        {"listing": listing, "candidate": listing.candidate, "form": form},
        status=400 if form.errors else 200,
    )


# --- statutory books and reports (職業安定法施行規則24条の8, 32条の16) ------------------------------------------------

BOOK_SCREEN_ROWS = 500
BookBuilder = Callable[..., Book]
BOOKS: dict[str, tuple[BookBuilder, str]] = {
    "job_orders": (job_order_book, "job_order_book"),
    "job_seekers": (job_seeker_book, "job_seeker_book"),
    "fees": (fee_book, "fee_book"),
}


def _fiscal_year(request: HttpRequest, *, default_current: bool) -> int | None:
    """The fiscal year asked for (?fy=2026); a book without one shows every year, a report the current one."""
    value = request.GET.get("fy", "")
    years = fiscal_years()
    if value.isdigit() and int(value) in years:
        return int(value)
    return years[0] if default_current else None


@operator_required(Permission.STATUTORY_BOOKS)
def books_index(request: HttpRequest) -> HttpResponse:
    return render(request, "placements/ops/books_index.html", {"years": fiscal_years()})


@operator_required(Permission.STATUTORY_BOOKS)
def book_job_orders(request: HttpRequest) -> HttpResponse:
    return _book(request, "job_orders")


@operator_required(Permission.STATUTORY_BOOKS)
def book_job_seekers(request: HttpRequest) -> HttpResponse:
    return _book(request, "job_seekers")


@operator_required(Permission.STATUTORY_BOOKS)
def book_fees(request: HttpRequest) -> HttpResponse:
    return _book(request, "fees")


def _book(request: HttpRequest, kind: str) -> HttpResponse:
    """A book on the screen (its first rows) or, with ?format=csv, all of it as CSV for Excel."""
    build, stem = BOOKS[kind]
    fiscal_year = _fiscal_year(request, default_current=False)
    book = build(fiscal_year=fiscal_year)
    if request.GET.get("format") == "csv":
        suffix = f"_FY{fiscal_year}" if fiscal_year else ""
        return csv_response([book.headers, *book.rows, *book.kept_rows], f"{stem}{suffix}.csv")
    rows = list(itertools.islice(book.rows, BOOK_SCREEN_ROWS + 1))
    return render(
        request,
        "placements/ops/book.html",
        {
            "book": book,
            "kind": kind,
            "rows": rows[:BOOK_SCREEN_ROWS],
            "more": len(rows) > BOOK_SCREEN_ROWS,
            "limit": BOOK_SCREEN_ROWS,
            "years": fiscal_years(),
            "fiscal_year": fiscal_year,
        },
    )


@operator_required(Permission.STATUTORY_BOOKS)
def report_annual(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request, default_current=True)
    assert fiscal_year is not None
    report = annual_report(fiscal_year)
    lines = [
        (_("新規求職申込件数"), report.new_applications),
        (_("求人数(新規に受け付けた求人の件数)"), report.job_orders),
        (_("紹介件数(ご本人が承諾し企業へ紹介した件数)"), report.introductions),
        (_("就職件数"), report.placements),
        (_("うち期間の定めのない雇用(無期)"), report.indefinite),
        (_("うち期間の定めのある雇用(有期)"), report.fixed_term),
        (_("うち契約期間が未登録"), report.term_unknown),
        (_("手数料収入(税抜・円)"), report.fee_income_yen),
        (_("うち無料紹介枠の利用による 0 円の就職"), report.waived),
        (_("返戻件数"), report.refunds),
        (_("返戻金(税抜・円)"), report.refund_yen),
        (_("返戻後の手数料収入(税抜・円)"), report.net_fee_income_yen),
    ]
    if request.GET.get("format") == "csv":
        header = [_("項目"), _("%(year)s年度") % {"year": fiscal_year}]
        return csv_response([header, *lines], f"annual_report_FY{fiscal_year}.csv")
    return render(
        request,
        "placements/ops/report_annual.html",
        {"report": report, "lines": lines, "years": fiscal_years(), "fiscal_year": fiscal_year},
    )


@operator_required(Permission.STATUTORY_BOOKS)
def report_disclosure(request: HttpRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request, default_current=True)
    assert fiscal_year is not None
    figures = disclosure_figures(fiscal_year)
    if request.GET.get("format") == "csv":
        rows: list[list[object]] = [
            [_("項目"), _("%(year)s年度") % {"year": fiscal_year}],
            [_("就職者数"), figures.placements],
            [_("うち無期雇用就職者数"), figures.indefinite],
            [_("うち 6か月以内に離職した方"), figures.early_leavers],
            [_("うち 6か月を経過しておらず不明の方"), figures.leaving_unknown],
            [_("手数料率"), "・".join(figures.fee_rates)],
            [],
            [_("職種"), _("就職者数"), _("手数料実績(手数料÷想定年収×100)")],
            *[[row.label, row.placements, row.rate_display] for row in figures.occupations],
        ]
        return csv_response(rows, f"disclosure_FY{fiscal_year}.csv")
    return render(
        request,
        "placements/ops/report_disclosure.html",
        {"figures": figures, "years": fiscal_years(), "fiscal_year": fiscal_year},
    )


# --- 第三者提供の記録 (APPI 29条): the agency's ledger, records of deleted people included --------------------


@operator_required(Permission.AUDIT)
def provision_list_ops(request: HttpRequest) -> HttpResponse:
    query = nfkc(request.GET.get("q", "")).strip()[:100]
    page = Paginator(provision_records(query=query), 50).get_page(request.GET.get("page"))
    return render(request, "placements/ops/provision_list.html", {"page": page, "query": query})


@operator_required(Permission.AUDIT)
def provision_export_ops(request: HttpRequest) -> HttpResponse:
    query = nfkc(request.GET.get("q", "")).strip()[:100]
    response = HttpResponse(provision_csv(provision_records(query=query), for_company=False))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="provision_records_{timezone.localdate():%Y%m%d}.csv"'
    return response
