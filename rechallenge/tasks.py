from django_tasks import task

from rechallenge.services import rechallenge_invitations_send


@task()
def send_rechallenge_invitations() -> int:
    return rechallenge_invitations_send()
