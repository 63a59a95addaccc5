"""What each feature shows in the demo, seeded after the year of relay history (demo.history)."""

from django.db import transaction

from accounts.models import User
from candidates.models import Candidate
from companies.models import Company
from demo.applicants import seed_applicants
from demo.crm import seed_crm
from demo.history import COMPANIES, DEMO_COMPANY
from demo.insights import seed_recruiting_costs, seed_survey
from demo.integrations import seed_integrations
from demo.introductions import seed_introductions
from demo.job_orders import seed_job_orders
from demo.outbox import seed_outbox
from demo.placements import seed_placements
from demo.rechallenge import seed_rechallenge
from demo.templates import seed_templates
from mailings.services import mail_muted


def seed_features(operator: User) -> None:
    """What each feature shows in the demo; safe to run on every `make run` (each step is idempotent)."""
    with transaction.atomic(), mail_muted():
        for company in Company.objects.filter(name__in=[spec.name for spec in COMPANIES]):
            seed_templates(company=company)
        demo = Company.objects.get(name=DEMO_COMPANY)
        owner = demo.users.filter(company_role=User.CompanyRole.OWNER).order_by("pk").first() or operator
        seed_applicants(company=demo, actor=owner)
        seed_outbox(company=demo, actor=owner)
        seed_job_orders(company=demo)
        seed_rechallenge(company=demo)
        seed_integrations(company=demo)
        elsewhere = Candidate.objects.filter(email_verified_at__isnull=False).exclude(referral__company=demo)
        seed_introductions(operator=operator, company=demo, candidates=list(elsewhere.order_by("pk")[:4]))
        seed_placements(operator=operator, company=demo)
        seed_crm(
            operator_users=User.objects.exclude(operator_role=""),
            candidates=Candidate.objects.order_by("created_at"),
        )
        verified = Candidate.objects.filter(referral__company=demo, email_verified_at__isnull=False).order_by("pk")
        seed_survey(company=demo, candidates=verified[:12])
        seed_recruiting_costs(company=demo, actor=owner)
