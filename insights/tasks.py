from django_tasks import task

from insights.services import survey_invitations_send


@task()
def send_survey_invitations() -> int:
    return survey_invitations_send()
