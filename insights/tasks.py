from django_tasks import task

from insights.services import monthly_reports_send, survey_invitations_send


@task()
def send_survey_invitations() -> int:
    return survey_invitations_send()


@task()
def send_monthly_reports() -> int:
    return monthly_reports_send()
