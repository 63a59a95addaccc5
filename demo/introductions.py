"""Demo introductions for trying the product, made through the real services (rules 9–11 apply to them too)."""

from accounts.models import User
from candidates.models import Candidate
from companies.models import Company
from placements.models import Introduction, JobOrder
from placements.services.introductions import (
    IntroductionNotAllowed,
    introduction_accept,
    introduction_move,
    introduction_propose,
)

RECOMMENDATION = (
    "ご経験とご希望が求人の内容によく合っています。面談では、チームでの開発経験と、"
    "新しい技術を自ら学ぶ姿勢が印象的でした。ぜひ一度お会いいただけますと幸いです。"
)


def seed_introductions(*, operator: User, company: Company, candidates: list[Candidate]) -> list[Introduction]:
    """Idempotent: the first person accepted and is at 面接, the second accepted (書類選考), the rest wait.

    Everyone goes to the company's most recent open job order; people the rules keep away from the company
    (rejected by it, excluded, no consent) are skipped.
    """
    already = list(Introduction.objects.filter(company=company, candidate__in=candidates))
    if already:
        # Later demo steps add job orders of their own; the demo people stay with the order they were proposed for.
        return already
    job_order = JobOrder.objects.filter(company=company).open().first()
    if job_order is None:
        return []
    seeded: list[Introduction] = []
    for position, candidate in enumerate(candidates):
        introduction = Introduction.objects.filter(job_order=job_order, candidate=candidate).first()
        if introduction is None:
            try:
                introduction = introduction_propose(
                    job_order=job_order, candidate=candidate, recommendation=RECOMMENDATION, actor=operator
                )
            except IntroductionNotAllowed:
                continue
            if position < 2:
                introduction = introduction_accept(introduction=introduction, candidate=candidate)
            if position == 0:
                introduction = introduction_move(
                    introduction=introduction,
                    status=Introduction.Status.INTERVIEW,
                    actor=operator,
                    comment="一次面接の日程を調整しています。",
                )
        seeded.append(introduction)
    return seeded
