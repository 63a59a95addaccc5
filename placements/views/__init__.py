"""Steps that the company's and the operator's screens take the same way (views/company.py, views/ops.py).

Each one performs the service call for an already-authorised object and tells the person how it went; the
audience files keep only what differs: who may see the object and where the answer leads.
"""

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.access import request_user
from placements.forms import IntroductionMoveForm
from placements.models import Introduction, JobOrder
from placements.selectors.job_orders import job_order_status_message
from placements.services.introductions import IntroductionNotAllowed, introduction_move
from placements.services.jobs import JobOrderTransitionError, job_order_set_status


def job_order_status_change(request: HttpRequest, job_order: JobOrder) -> JobOrder:
    """Open, pause or close the order as the posted `status` asks; a refused move is explained, not raised."""
    try:
        job_order = job_order_set_status(
            job_order=job_order, status=request.POST.get("status", ""), actor=request_user(request)
        )
    except JobOrderTransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, job_order_status_message(job_order))
    return job_order


def introduction_move_from(
    request: HttpRequest, introduction: Introduction, form: IntroductionMoveForm
) -> Introduction:
    """Move the selection to the valid form's status; a move the rules refuse is explained, not raised."""
    try:
        introduction = introduction_move(
            introduction=introduction,
            status=form.cleaned_data["status"],
            comment=form.cleaned_data["comment"],
            actor=request_user(request),
        )
    except IntroductionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("選考状況を「%(status)s」に更新しました。") % {"status": introduction.get_status_display()}
        )
    return introduction
