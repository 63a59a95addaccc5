from django.core.mail import EmailMessage
from django_tasks import task


@task()
def deliver_email(*, to: list[str], subject: str, body: str, headers: dict[str, str]) -> None:
    """Runs in the worker so a slow SMTP server never slows a page down; a failure is retried by re-running."""
    EmailMessage(subject=subject, body=body, to=to, headers=headers).send()
