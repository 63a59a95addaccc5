"""Demo answers for the satisfaction survey, added through the real service (idempotent)."""

from collections.abc import Iterable
from itertools import cycle

from accounts.models import User
from candidates.models import Candidate
from companies.models import Company
from insights.models import RecruitingCostProfile
from insights.services import recruiting_costs_save, survey_response_create, survey_status

# (NPS, speed, courtesy, interest, comment): a believable spread, so the demo page shows every part.
DEMO_ANSWERS = [
    (10, 5, 5, 5, "不採用のご連絡でしたが、面接での評価点と課題を丁寧に伝えていただき、次の選考に活かせそうです。"),
    (9, 4, 5, 4, "面接官の方が最後まで真剣に話を聞いてくださり、結果は残念でしたが良い経験になりました。"),
    (8, 4, 4, 4, ""),
    (7, 3, 4, 3, "結果のご連絡がもう少し早いと、ほかの選考の予定が立てやすかったです。"),
    (6, 2, 3, 3, "ご連絡まで2週間ほどかかり、その間は不安でした。"),
    (10, 5, 4, 5, "キャリア相談のご案内まで添えていただき、ありがたかったです。"),
    (3, 1, 2, 2, "定型文だけのご連絡で、少し残念に感じました。"),
    (9, 5, 5, 4, ""),
]


def seed_survey(*, company: Company, candidates: Iterable[Candidate]) -> int:
    """Answer for each candidate the company rejected who has not answered yet; returns how many were added."""
    added = 0
    for candidate, (score, speed, courtesy, interest, comment) in zip(candidates, cycle(DEMO_ANSWERS)):
        status = survey_status(candidate=candidate)
        if status is None or status.answered or status.company.pk != company.pk:
            continue
        survey_response_create(
            candidate=candidate,
            answers={
                "nps": score,
                "contact_speed": speed,
                "contact_courtesy": courtesy,
                "future_interest": interest,
                "comment": comment,
            },
        )
        added += 1
    return added


def seed_recruiting_costs(*, company: Company, actor: User | None = None) -> RecruitingCostProfile:
    """Declared recruiting costs (年間1,800万円, 紹介手数料の平均 210万円), so the dashboard shows both cost reduction
    rates; a company that already declared its own figures keeps them."""
    existing = RecruitingCostProfile.objects.filter(company=company).first()
    if existing is not None:
        return existing
    return recruiting_costs_save(company=company, yearly_spend_yen=18_000_000, average_fee_yen=2_100_000, actor=actor)
