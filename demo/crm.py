"""Demo data for the candidate CRM: advisors, pipeline statuses, notes and interviews, through the real services."""

import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from candidates.models import AdvisorInterview, Candidate, PipelineStatus
from candidates.selectors import ADVISOR_ROLES
from candidates.services import (
    advisor_interview_schedule,
    advisor_interview_set_status,
    candidate_assign_advisor,
    candidate_note_add,
    candidate_pipeline_move,
)
from mailings.mute import mail_muted

RANDOM_SEED = 20261122
NOTES = (
    "初回のお電話。土日は連絡がつきにくいとのこと。平日夜の面談を希望。",
    "前職では受託開発が中心。自社サービスへの転職を希望している。",
    "年収よりも働き方(リモート可)を重視。通勤は片道1時間まで。",
    "書類の書き方に不安があるとのことで、職務経歴書の添削をご案内。",
    "現職の繁忙期が落ち着く来月以降に本格的に活動したいとのこと。",
)
WITHDRAWAL_REASONS = ("他社経由で内定、転職活動を終了", "現職に残ることを決めた", "連絡が取れなくなった")


def _at(day: datetime, hour: int) -> datetime:
    return timezone.localtime(day).replace(hour=hour, minute=0, second=0, microsecond=0)


def seed_crm(*, operator_users: Iterable[User], candidates: Iterable[Candidate]) -> None:
    """Give demo candidates advisors, statuses, notes and interviews (one upcoming). Safe to run again."""
    advisors = [u for u in operator_users if u.operator_role in ADVISOR_ROLES and u.is_active]
    people = [c for c in candidates if c.email_verified_at is not None]
    if not advisors or not people or any(c.advisor_id for c in people):
        return
    rng = random.Random(RANDOM_SEED)
    lead = advisors[0]
    now = timezone.now()
    # Demo data sends no email; the confirmation mail is shown by the tests and the dev mailbox in real use.
    with transaction.atomic(), mail_muted():
        for index, candidate in enumerate(people):
            advisor = advisors[index % len(advisors)]
            if candidate.first_interview_at is not None:
                candidate_assign_advisor(candidate=candidate, advisor=advisor, actor=lead)
                candidate_pipeline_move(candidate=candidate, status=PipelineStatus.INTERVIEWED, actor=advisor)
                roll = rng.random()
                if roll < 0.25:
                    candidate_pipeline_move(candidate=candidate, status=PipelineStatus.INTRODUCING, actor=advisor)
                elif roll < 0.32:
                    candidate_pipeline_move(candidate=candidate, status=PipelineStatus.OFFERED, actor=advisor)
                elif roll < 0.36:
                    candidate_pipeline_move(candidate=candidate, status=PipelineStatus.HIRED, actor=advisor)
                elif roll < 0.42:
                    candidate_pipeline_move(
                        candidate=candidate,
                        status=PipelineStatus.WITHDRAWN,
                        actor=advisor,
                        reason=rng.choice(WITHDRAWAL_REASONS),
                    )
            elif index % 3 == 0:
                candidate_assign_advisor(candidate=candidate, advisor=advisor, actor=lead)
            if index % 7 == 0:
                candidate_note_add(candidate=candidate, author=advisor, body=rng.choice(NOTES))
        fresh = [c for c in people if c.first_interview_at is None and c.pipeline_status == PipelineStatus.NEW]
        for offset, candidate in enumerate(fresh[:6]):
            advisor = candidate.advisor or lead
            if candidate.advisor is None:
                candidate_assign_advisor(candidate=candidate, advisor=advisor, actor=lead)
            method = (AdvisorInterview.Method.ONLINE, AdvisorInterview.Method.PHONE, AdvisorInterview.Method.IN_PERSON)[
                offset % 3
            ]
            location = {
                AdvisorInterview.Method.ONLINE: "https://meet.example.jp/career-relay-demo",
                AdvisorInterview.Method.IN_PERSON: "東京都千代田区丸の内1-1-1 キャリアリレー 面談室A",
                AdvisorInterview.Method.PHONE: "",
            }[method]
            interview = advisor_interview_schedule(
                candidate=candidate,
                advisor=advisor,
                starts_at=_at(now + timedelta(days=offset + 1 if offset < 4 else -(offset - 2)), 10 + offset),
                duration_minutes=60,
                method=method,
                location=location,
                note="はじめての面談。これまでのご経験とご希望を伺う。",
                actor=advisor,
            )
            if offset == 4:
                advisor_interview_set_status(interview=interview, status=AdvisorInterview.Status.HELD, actor=advisor)
            elif offset == 5:
                advisor_interview_set_status(interview=interview, status=AdvisorInterview.Status.NO_SHOW, actor=advisor)
