"""Demo re-challenge history: people who opted in, their invitations, one click and one re-application."""

from datetime import timedelta

from django.utils import timezone

from candidates.models import Candidate
from candidates.services import candidate_register, candidate_verify_email
from companies.models import Company
from demo.job_orders import seed_job_orders
from lib.choices import JobCategory, Prefecture
from lib.jatext import normalize_email, normalize_phone
from placements.models import JobOrder
from rechallenge.models import RechallengeInvitation
from rechallenge.services import RechallengeNotAllowed, rechallenge_click, rechallenge_invite, rechallenge_reapply
from relay.models import Referral

# (name, furigana, months since the rejection, what happened next)
DEMO_PEOPLE = [
    ("再挑 花子", "サイチョウ ハナコ", 7, "reapplied"),
    ("前進 一郎", "ゼンシン イチロウ", 8, "clicked"),
    ("挑戦 美咲", "チョウセン ミサキ", 13, "invited"),
    ("準備 健太", "ジュンビ ケンタ", 4, "waiting"),
]


def _demo_person(company: Company, index: int, name: str, furigana: str, months: int) -> Candidate:
    email = f"rechallenge-demo-{company.pk}-{index}@example.jp"
    existing = Candidate.objects.filter(email_normalized=normalize_email(email)).first()
    if existing is not None:
        return existing
    link = company.links.active().first() or company.links.first()
    assert link is not None, "seed_rechallenge needs a company with a relay link"
    phone = normalize_phone(f"080-{7000 + company.pk % 1000:04d}-{index:04d}")
    profile = {
        "name": name,
        "furigana": furigana,
        "email": email,
        "email_normalized": normalize_email(email),
        "phone": phone,
        "prefecture": Prefecture.TOKYO,
        "job_category": JobCategory.ENGINEER_SOFTWARE,
        "years_of_experience": 3,
        "skills": "Python、SQL",
        "desired_salary": 550,
        "career_summary": "Web サービスの開発に携わってきました。",
    }
    candidate = candidate_register(link=link, profile=profile, rechallenge=True, newsletter=False).candidate
    candidate_verify_email(candidate=candidate)
    registered_at = timezone.now() - timedelta(days=months * 31)
    Referral.objects.filter(candidate=candidate).update(registered_at=registered_at)  # owner-write-allowed: demo data
    return candidate


def seed_rechallenge(*, company: Company) -> list[RechallengeInvitation]:
    """Idempotent: reuses the demo people and invitations it finds; uses the real services throughout."""
    seed_job_orders(company=company)
    job_order = JobOrder.objects.filter(company=company).open().order_by("pk").first()
    sent = []
    for index, (name, furigana, months, outcome) in enumerate(DEMO_PEOPLE, start=1):
        candidate = _demo_person(company, index, name, furigana, months)
        referral = Referral.objects.get(candidate=candidate)
        invitation = RechallengeInvitation.objects.filter(candidate=candidate, company=company).first()
        if invitation is None and outcome != "waiting":
            try:
                invitation = rechallenge_invite(company=company, referral=referral)
            except RechallengeNotAllowed:
                invitation = None
        if invitation is None:
            continue
        sent.append(invitation)
        if outcome in ("clicked", "reapplied"):
            rechallenge_click(invitation=invitation)
        if outcome == "reapplied" and job_order is not None:
            rechallenge_reapply(invitation=invitation, job_order=job_order)
    return sent
