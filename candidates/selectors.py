"""Reads about candidates: the CRM timeline (everything that happened to a person, newest first, built from the
rows each step leaves behind), who may advise, and a person's upcoming interviews."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import AdvisorInterview, Candidate, Consent, PipelineStatus
from relay.models import Referral, Touch


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # what sort of event, for the badge: registration, consent, status, note, advisor, resume, interview
    title: str
    detail: str = ""
    actor: str = ""


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    return timezone.localtime(datetime.fromisoformat(iso)).strftime("%Y/%m/%d %H:%M")


def _audit_entry(entry: AuditEntry) -> TimelineEntry | None:
    detail = entry.detail or {}
    methods = dict(AdvisorInterview.Method.choices)
    interview_titles = {
        "candidate.interview_held": _("面談を実施しました"),
        "candidate.interview_cancelled": _("面談をキャンセルしました"),
        "candidate.interview_no_show": _("面談に不参加でした"),
    }
    if entry.action == "candidate.advisor_assign":
        title = _("担当アドバイザーを変更しました")
        text = f"{detail.get('from_name') or _('未割当')} → {detail.get('to_name') or _('未割当')}"
        return TimelineEntry(entry.created_at, "advisor", title, text, entry.actor_label)
    if entry.action == "candidate.resume_upload":
        title = _("履歴書を差し替えました") if detail.get("replaced") else _("履歴書をアップロードしました")
        size = filesizeformat(detail["size"]) if detail.get("size") else ""
        return TimelineEntry(entry.created_at, "resume", title, size, entry.actor_label)
    if entry.action == "candidate.resume_delete":
        return TimelineEntry(entry.created_at, "resume", _("履歴書を削除しました"), "", entry.actor_label)
    if entry.action == "candidate.interview_schedule":
        text = _("%(at)s(%(method)s)担当: %(advisor)s") % {
            "at": _when(detail.get("starts_at")),
            "method": methods.get(detail.get("method", ""), ""),
            "advisor": detail.get("advisor", ""),
        }
        return TimelineEntry(entry.created_at, "interview", _("面談を設定しました"), text, entry.actor_label)
    if entry.action in interview_titles:
        title = interview_titles[entry.action]
        return TimelineEntry(entry.created_at, "interview", title, _when(detail.get("starts_at")), entry.actor_label)
    if entry.action == "candidate.first_interview":
        title = _("初回面談を記録しました")
        return TimelineEntry(entry.created_at, "interview", title, _("紹介カウントの条件"), entry.actor_label)
    return None


def candidate_timeline(candidate: Candidate) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    referral = Referral.objects.filter(candidate=candidate).select_related("company", "link").first()
    source = f"{referral.company.name}({referral.link.label})" if referral else ""
    entries.append(TimelineEntry(candidate.created_at, "registration", _("登録しました"), source, _("求職者本人")))
    if candidate.email_verified_at:
        title = _("メールアドレスを確認しました")
        entries.append(TimelineEntry(candidate.email_verified_at, "registration", title, "", _("求職者本人")))
    kinds = dict(Consent.Kind.choices)
    granted_before: dict[str, bool] = {}
    for consent in candidate.consents.order_by("created_at", "id"):
        if consent.granted:
            title = _("同意しました")
        elif granted_before.get(consent.kind):
            title = _("同意を撤回しました")
        else:
            title = _("同意しませんでした")
        granted_before[consent.kind] = consent.granted
        text = f"{kinds.get(consent.kind, consent.kind)}({consent.version})"
        entries.append(TimelineEntry(consent.created_at, "consent", title, text, consent.get_channel_display()))
    for touch in Touch.objects.filter(candidate=candidate).select_related("link__company"):
        title = _("別の企業のリンクから再訪しました")
        text = f"{touch.link.company.name}({touch.link.label})"
        entries.append(TimelineEntry(touch.created_at, "registration", title, text, _("求職者本人")))
    statuses = dict(PipelineStatus.choices)
    for event in candidate.pipeline_events.select_related("actor"):
        before, after = statuses.get(event.from_status, ""), statuses.get(event.to_status, "")
        text = f"{before} → {after}"
        if event.reason:
            text = f"{text} / " + _("理由: %(reason)s") % {"reason": event.reason}
        actor = event.actor.display_name if event.actor else _("システム")
        entries.append(TimelineEntry(event.created_at, "status", _("ステータスを変更しました"), text, actor))
    for note in candidate.notes.select_related("author"):
        author = note.author.display_name if note.author else _("退職したスタッフ")
        entries.append(TimelineEntry(note.created_at, "note", _("メモ"), note.body, author))
    audit_rows = AuditEntry.objects.filter(target=f"{Candidate._meta.label}#{candidate.pk}")
    for row in audit_rows:
        entry = _audit_entry(row)
        if entry is not None:
            entries.append(entry)
    # Newest first; among equal times the later source (a consequence) shows above its cause.
    indexed = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
    return [entry for _index, entry in indexed]


ADVISOR_ROLES = (User.OperatorRole.ADMIN, User.OperatorRole.CAREER_ADVISOR)


def advisor_choices() -> QuerySet[User]:
    """Who may advise candidates: career advisors and admins still at work."""
    return User.objects.filter(operator_role__in=ADVISOR_ROLES, is_active=True).order_by("name", "pk")


def candidate_upcoming_interviews(*, candidate: Candidate) -> QuerySet[AdvisorInterview]:
    """Scheduled interviews not yet over (an interview in progress still shows)."""
    since = timezone.now() - timedelta(hours=3)
    return (
        candidate.interviews.filter(status=AdvisorInterview.Status.SCHEDULED, starts_at__gte=since)
        .select_related("advisor")
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class ConsentEvent:
    """One row of a person's consent history, read as they would: agreed, withdrew what they had agreed to, or
    did not agree (a box left unticked at registration is not a withdrawal)."""

    consent: Consent
    state: str  # "granted" | "withdrawn" | "not_given"

    @property
    def label(self) -> str:
        return {"granted": _("同意"), "withdrawn": _("撤回"), "not_given": _("同意なし")}[self.state]


def consent_history(candidate: Candidate, *, limit: int | None = None) -> list[ConsentEvent]:
    """The person's consent rows, newest first, each with what it meant given the rows before it."""
    rows = candidate.consents.select_related("consent_text").order_by("created_at", "id")
    last_granted: dict[str, bool] = {}
    events: list[ConsentEvent] = []
    for row in rows:
        state = "granted" if row.granted else "withdrawn" if last_granted.get(row.kind) else "not_given"
        last_granted[row.kind] = row.granted
        events.append(ConsentEvent(consent=row, state=state))
    events.reverse()
    return events[:limit] if limit is not None else events
