from django.db import models
from django.utils.translation import gettext_lazy as _


class DevMail(models.Model):
    """A message caught by the development mailbox (used only when EMAIL_URL is not set)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=300)
    to = models.TextField()
    subject = models.CharField(max_length=500)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("開発用メールボックス")

    def __str__(self) -> str:
        return self.subject
