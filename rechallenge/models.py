from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class RechallengeInvitation(models.Model):
    """One re-challenge invitation (再チャレンジのご案内) from the company that rejected a candidate.

    At most two per candidate and company (DESIGN.md §3 rule 8): sequence 1 after the cool-down, 2 later.
    The candidate link is SET_NULL so an erased person leaves an anonymous row that keeps KPIs true.
    """

    class Sequence(models.IntegerChoices):
        FIRST = 1, _("1回目")
        SECOND = 2, _("2回目")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("自動")
        MANUAL = "manual", _("企業から手動で")

    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="rechallenge_invitations"
    )
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="rechallenge_invitations")
    referral = models.ForeignKey(
        "relay.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="rechallenge_invitations"
    )
    sequence = models.PositiveSmallIntegerField(_("回数"), choices=Sequence.choices)
    trigger = models.CharField(_("送信のきっかけ"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    outbound_email = models.OneToOneField(
        "mailings.OutboundEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rechallenge_invitation",
    )
    queued_at = models.DateTimeField(_("送信手続き日時"), auto_now_add=True, db_index=True)
    clicked_at = models.DateTimeField(_("クリック日時"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("再チャレンジのご案内")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "company", "sequence"], name="rechallenge_invitation_once_per_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id} → {self.candidate_id} #{self.sequence}"

    @property
    def sent_at(self) -> datetime | None:
        return self.outbound_email.sent_at if self.outbound_email else None


class Reapplication(models.Model):
    """A candidate re-applied to a job order through an invitation.

    It is also the record of provision to a third party (第三者提供の記録, APPI): the company received the items
    in `provided_items` about the candidate on `created_at`.
    """

    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="reapplications"
    )
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="reapplications")
    job_order = models.ForeignKey("placements.JobOrder", on_delete=models.RESTRICT, related_name="reapplications")
    invitation = models.ForeignKey(
        RechallengeInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="reapplications"
    )
    provided_items = models.JSONField(_("提供した情報の項目"), default=list)
    created_at = models.DateTimeField(_("再応募日時"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("再応募")
        constraints = [
            models.UniqueConstraint(fields=["candidate", "job_order"], name="reapplication_once_per_job_order")
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} → {self.job_order_id}"
