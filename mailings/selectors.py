"""Reads for the mail screens: which template each applicant gets, how the auto-send rules read (which rule wins
for whom, in plain Japanese, with an example date) and the outbox as the company and the operators list it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applicants.models import Applicant
from applicants.services import declared_rejection_id
from companies.models import Company
from lib.jatext import nfkc
from mailings.models import AutoSendRule, OutboundEmail, RejectionTemplate, SendBatch, TemplateVersion
from mailings.services.outbox import active_rules, rule_among, rule_for, send_time_after_rejection


@dataclass(frozen=True)
class TemplateChoice:
    """The text one applicant gets, and why: the rule that picked it, or None for the stage's own template."""

    template: RejectionTemplate
    version: TemplateVersion
    rule: AutoSendRule | None


class TemplateChooser:
    """Each applicant's rejection template, for a batch: the company's rules and templates are read once.

    The most specific active auto-send rule decides (reason > stage > track, as the automatic paths do); without
    one, the company's active template for the same stage and track, else for the same stage in either track.
    None: nothing fits, so nothing is sent (a document-screening text never reaches a final-interview reject).
    """

    def __init__(self, company: Company) -> None:
        self.rules = active_rules(company.pk)
        latest: dict[int, TemplateVersion] = {}
        versions = TemplateVersion.objects.filter(template__company=company).select_related("template")
        for version in versions.order_by("template_id", "number"):
            latest[version.template_id] = version  # ascending: the last one read is the current version
        self.latest = latest
        self.templates = sorted(
            (version.template for version in latest.values() if version.template.is_active),
            key=lambda template: template.pk,
        )

    def choose(self, applicant: Applicant) -> TemplateChoice | None:
        rule = rule_among(applicant, self.rules)
        if rule is not None and rule.template_id in self.latest:
            return TemplateChoice(rule.template, self.latest[rule.template_id], rule)
        exact = [t for t in self.templates if t.stage == applicant.stage and t.track == applicant.track]
        same_stage = exact or [t for t in self.templates if t.stage == applicant.stage]
        if not same_stage:
            return None
        template = same_stage[0]
        return TemplateChoice(template, self.latest[template.pk], None)


@dataclass(frozen=True)
class RuleRow:
    rule: AutoSendRule
    priority: int | None  # 1 = checked first; None = never applies (inactive rule or template)
    scope: str
    explanation: str
    example_sent_at: datetime


@dataclass(frozen=True)
class Coverage:
    stage: str
    track: str
    rule: AutoSendRule | None
    explanation: str


def _applies(rule: AutoSendRule) -> bool:
    return rule.is_active and rule.template.is_active


def _priority_key(rule: AutoSendRule) -> tuple[bool, bool, bool, int]:
    # The order mailings.services.outbox.rule_for tries rules in: a reason before any reason, exact stage before
    # any stage, then exact track, then oldest.
    return (rule.reason_id is None, rule.stage == "", rule.track == "", rule.pk)


def rule_scope(rule: AutoSendRule) -> str:
    if rule.reason_id is not None:
        return _("選考終了理由が「%(reason)s」の応募者に限る(理由を指定したルールが優先)") % {"reason": rule.reason}
    if rule.stage and rule.track:
        return _("選考段階と採用区分がともに一致")
    if rule.stage:
        return _("選考段階が一致(採用区分は問わない)")
    if rule.track:
        return _("採用区分が一致(選考段階は問わない)")
    return _("すべての不採用者")


def rule_explanation(rule: AutoSendRule) -> str:
    at = rule.send_time.strftime("%H:%M")
    if rule.business_days_after == 0:
        return _(
            "不採用を登録した日の%(time)sに送信します(土日祝・年末年始に登録した場合は翌営業日。時刻を過ぎて登録した場合はすぐに送信します)"
        ) % {"time": at}
    return ngettext(
        "不採用の登録から%(days)s営業日後の%(time)sに送信します(土日祝・年末年始を除く)",
        "不採用の登録から%(days)s営業日後の%(time)sに送信します(土日祝・年末年始を除く)",
        rule.business_days_after,
    ) % {"days": rule.business_days_after, "time": at}


def rule_example(rule: AutoSendRule, *, rejected_at: datetime) -> datetime:
    """When the email of an applicant rejected at `rejected_at` would go out: the outbox's own computation."""
    return timezone.localtime(
        send_time_after_rejection(rejected_at=rejected_at, business_days=rule.business_days_after, rule=rule)
    )


def rule_rows(company: Company, *, now: datetime | None = None) -> list[RuleRow]:
    now = now or timezone.now()
    rules = list(AutoSendRule.objects.filter(company=company).select_related("template", "reason"))
    applying = sorted((rule for rule in rules if _applies(rule)), key=_priority_key)
    idle = sorted((rule for rule in rules if not _applies(rule)), key=_priority_key)
    rows = [
        RuleRow(rule, position, rule_scope(rule), rule_explanation(rule), rule_example(rule, rejected_at=now))
        for position, rule in enumerate(applying, start=1)
    ]
    rows += [
        RuleRow(rule, None, rule_scope(rule), rule_explanation(rule), rule_example(rule, rejected_at=now))
        for rule in idle
    ]
    return rows


def rule_coverage(company: Company) -> list[Coverage]:
    """For every stage and track, the rule rule_for would pick today for a plain 不採用: the real decision."""
    coverage = []
    declared = declared_rejection_id(company)
    for stage, stage_label in Applicant.Stage.choices:
        for track, track_label in Applicant.Track.choices:
            probe = Applicant(company=company, stage=stage, track=track, reason_id=declared)
            rule = rule_for(probe)
            explanation = rule_explanation(rule) if rule is not None else ""
            coverage.append(Coverage(str(stage_label), str(track_label), rule, explanation))
    return coverage


def outbox_filtered(
    emails: QuerySet[OutboundEmail], *, status: str, kind: str, query: str, reveal_registrations: bool = False
) -> QuerySet[OutboundEmail]:
    """The outbox as a screen lists it: by status (or click/registration progress), kind and free words.

    `reveal_registrations` is for the operators only. The company's outbox names a registration only when the
    person consented (`registration_shared`), so its 「クリック」 filter keeps every other registered person
    in: excluding them would reveal them by difference with the unfiltered list.
    """
    emails = emails.select_related("applicant", "company")
    registered = Q(registered_at__isnull=False) if reveal_registrations else Q(registration_shared=True)
    registered &= Q(registered_at__isnull=False)
    if status == "clicked":
        emails = emails.filter(clicked_at__isnull=False).exclude(registered)
    elif status == "registered":
        emails = emails.filter(registered)
    elif status:
        emails = emails.filter(status=status)
    if kind:
        emails = emails.filter(kind=kind)
    for word in nfkc(query).split():
        emails = emails.filter(
            Q(to_email__icontains=word)
            | Q(subject__icontains=word)
            | Q(applicant__name__icontains=word)
            | Q(applicant__external_id__icontains=word)
        )
    return emails


def outbox_counts(emails: QuerySet[OutboundEmail]) -> dict[str, int]:
    """How many rows of `emails` are in each status."""
    return dict(emails.values_list("status").annotate(n=Count("id")).order_by())


def send_batches_recent(*, company: Company, now: datetime | None = None) -> list[SendBatch]:
    """The batch sends the company should see on the outbox: unfinished ones, refused ones of the last week, and
    ones that finished in the last hour (so the person who confirmed sees the result)."""
    now = now or timezone.now()
    return list(
        SendBatch.objects.filter(company=company)
        .filter(
            Q(status=SendBatch.Status.PENDING)
            | Q(status=SendBatch.Status.FAILED, created_at__gte=now - timedelta(days=7))
            | Q(status=SendBatch.Status.DONE, finished_at__gte=now - timedelta(hours=1))
        )
        .defer("assignments")
        .order_by("-created_at")[:10]
    )
