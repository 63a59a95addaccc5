from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from candidates.models import Candidate
from candidates.tokens import candidate_link
from companies.models import Company
from insights.models import MonthlyReport, RecruitingCostProfile, SurveyInvitation, SurveyResponse
from lib.dates import JST as TOKYO
from lib.errors import RuleRefused
from lib.links import absolute_reverse, absolute_url
from mailings.links import SecretLink
from mailings.models import Suppression
from mailings.services import mail_send
from relay.models import Referral

ANSWER_FIELDS = ("nps", "contact_speed", "contact_courtesy", "future_interest", "comment")
# The later email goes to people who registered this long ago, and not to those who registered long before
# the job first ran: an invitation months after the fact would only puzzle them.
INVITATION_DELAY = timedelta(days=7)
INVITATION_WINDOW = timedelta(days=30)


class SurveyAlreadyAnswered(RuleRefused):
    """The candidate has already answered about this company: one answer per candidate per company."""


class SurveyNotAvailable(RuleRefused):
    """The candidate has no company to answer about (no referral, or it was invalidated)."""


@dataclass(frozen=True)
class SurveyStatus:
    company: Company
    response: SurveyResponse | None

    @property
    def answered(self) -> bool:
        return self.response is not None


def survey_status(*, candidate: Candidate) -> SurveyStatus | None:
    """The company the candidate can answer about (the one that rejected them) and their answer, if any."""
    referral = (
        Referral.objects.filter(candidate=candidate)
        .exclude(status=Referral.Status.INVALIDATED)
        .select_related("company")
        .first()
    )
    if referral is None:
        return None
    response = SurveyResponse.objects.filter(candidate=candidate, company=referral.company).first()
    return SurveyStatus(company=referral.company, response=response)


def survey_response_create(*, candidate: Candidate, answers: dict[str, Any]) -> SurveyResponse:
    """Store the candidate's answer about the company that rejected them; a second answer is refused."""
    status = survey_status(candidate=candidate)
    if status is None:
        raise SurveyNotAvailable
    if status.answered:
        raise SurveyAlreadyAnswered
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                candidate=candidate,
                company=status.company,
                **{name: answers[name] for name in ANSWER_FIELDS if name in answers},
            )
    except IntegrityError:
        # The same person submitted twice at once (two tabs, a double click): the first answer stands.
        if SurveyResponse.objects.filter(candidate=candidate, company=status.company).exists():
            raise SurveyAlreadyAnswered from None
        raise


def survey_url(candidate: Candidate) -> SecretLink:
    """A one-time sign-in link that lands on the survey page, made when the mail is delivered (never stored)."""
    return candidate_link(candidate, "login", next_path=reverse("survey:answer"))


def survey_invitation_candidates(*, now: datetime) -> Any:
    """Verified candidates who registered 7–30 days ago, have not answered and were never invited."""
    return (
        Candidate.objects.filter(
            email_verified_at__isnull=False,
            created_at__lte=now - INVITATION_DELAY,
            created_at__gt=now - INVITATION_WINDOW,
            survey_invitation__isnull=True,
            referral__isnull=False,
        )
        .exclude(referral__status=Referral.Status.INVALIDATED)
        .exclude(survey_responses__isnull=False)
        .select_related("referral__company")
        .order_by("created_at", "id")
    )


def survey_invitation_send(*, candidate: Candidate) -> bool:
    """Email the one invitation this candidate will ever get; False when it was already sent or is not wanted."""
    referral = Referral.objects.filter(candidate=candidate).select_related("company").first()
    if referral is None:
        return False
    # Someone who asked for no more mail from us at all does not get this one either.
    suppressed = Suppression.objects.blocks(email=candidate.email_normalized, company=None)
    with transaction.atomic():
        try:
            with transaction.atomic():
                SurveyInvitation.objects.create(candidate=candidate, company=referral.company)
        except IntegrityError:
            return False  # another worker sent it
        if suppressed:
            return False  # recorded as handled, never sent
        mail_send(
            to=candidate.email,
            template="survey_invitation",
            context={
                "candidate": candidate,
                "company": referral.company,
                "url": survey_url(candidate),
                "login_url": absolute_reverse("candidates:login"),
            },
        )
    return True


def survey_invitations_send(*, now: datetime | None = None) -> int:
    """The daily job: invite everyone due; each candidate in their own transaction so one failure stops nobody."""
    now = now or timezone.now()
    sent = 0
    for candidate in list(survey_invitation_candidates(now=now)):
        sent += survey_invitation_send(candidate=candidate)
    return sent


@transaction.atomic
def recruiting_costs_save(
    *, company: Company, yearly_spend_yen: int, average_fee_yen: int, actor: User | None
) -> RecruitingCostProfile:
    """Declare (or correct) the company's yearly recruiting spend and average agency fee; audited."""
    profile, _created = RecruitingCostProfile.objects.update_or_create(
        company=company,
        defaults={"yearly_spend_yen": yearly_spend_yen, "average_fee_yen": average_fee_yen, "updated_by": actor},
    )
    audit_record(
        actor=actor,
        action="insights.recruiting_costs",
        target=profile,
        company=company,
        detail={"yearly_spend_yen": yearly_spend_yen, "average_fee_yen": average_fee_yen},
    )
    return profile


def monthly_report_send(*, company: Company, month: date, today: date | None = None) -> bool:
    """Email every active owner of the company the report for `month` (its 1st); False when it was already
    sent. The MonthlyReport row and the queued mail commit together, so a second run sends nothing."""
    from insights.reports import monthly_report_data

    owners = list(
        User.objects.filter(company=company, company_role=User.CompanyRole.OWNER, is_active=True).order_by("pk")
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                MonthlyReport.objects.create(company=company, month=month, recipients=len(owners))
        except IntegrityError:
            return False  # another run sent it
        if not owners:
            return True
        report = monthly_report_data(company, month, today=today)
        for owner in owners:
            mail_send(
                to=owner.email,
                template="monthly_report",
                context={
                    "owner": owner,
                    "company": company,
                    "report": report,
                    "report_url": absolute_url(f"{reverse('insights:report')}?month={month:%Y-%m}"),
                },
            )
    return True


def monthly_reports_send(*, now: datetime | None = None) -> int:
    """The monthly job: last calendar month's report to every company; each company in its own transaction."""
    from insights.reports import month_period, previous_month

    today = (now or timezone.now()).astimezone(TOKYO).date()
    month = previous_month(today)
    already = MonthlyReport.objects.filter(month=month).values_list("company_id", flat=True)
    # A company that signed up after the month has nothing to report for it.
    companies = Company.objects.filter(created_at__lt=month_period(month).end).exclude(pk__in=already).order_by("pk")
    sent = 0
    for company in companies.iterator():
        sent += monthly_report_send(company=company, month=month, today=today)
    return sent
