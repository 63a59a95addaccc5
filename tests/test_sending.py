"""Sending rejection emails from the company screens: choose, confirm, schedule, watch the outbox, export links."""

import csv
import io
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from applicants.models import Applicant, ApplicantImport
from audit.models import AuditEntry
from mailings.models import OutboundEmail, RejectionTemplate, TemplateVersion
from mailings.services.dispatch import outbox_dispatch
from mailings.services.outbox import business_days_send_time, rejection_email_queue
from tests.conftest import Tenant, login
from tests.outbox_support import make_applicant, make_version

pytestmark = pytest.mark.django_db
Status = OutboundEmail.Status
JST_18H = 9  # 18:00 in Japan is 09:00 UTC


def an_import(tenant: Tenant, *applicants: Applicant) -> ApplicantImport:
    batch = ApplicantImport.objects.create(
        company=tenant.company, filename="herp_不採用_2030.csv", format=ApplicantImport.Format.HERP
    )
    Applicant.objects.filter(pk__in=[a.pk for a in applicants]).update(import_batch=batch)
    return batch


def choose(form: dict[str, Any], *, confirm: bool = False, **query: Any) -> dict[str, Any]:
    data = {"when": "now", **form, **query}
    if confirm:
        data["confirm"] = "1"
    return data


def confirm_and_send(client: Client, form: dict[str, Any], **query: Any) -> Any:
    """What a person does: open the confirmation, then send exactly what it showed (its plan fingerprint)."""
    shown = client.post("/company/mail/send/", choose(form, **query))
    assert shown.status_code == 200 and shown.context["previews"] is not None, shown.context["form"].errors
    return client.post("/company/mail/send/", choose(form, confirm=True, plan=shown.context["fingerprint"], **query))


@pytest.fixture
def version(tenant: Tenant) -> TemplateVersion:
    """The company's own 書類選考・中途 text; it is the oldest active template of that stage and track, so the
    applicants below (document screening, 中途) get it."""
    RejectionTemplate.objects.filter(company=tenant.company, stage="document", track="mid_career").update(
        is_active=False
    )
    return make_version(tenant.company)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def test_the_send_page_shows_who_will_be_mailed_and_who_is_skipped_and_why(
    owner_client: Client, tenant: Tenant, outsider: Tenant, version: TemplateVersion
) -> None:
    fine = make_applicant(tenant.company, name="青木 蒼")
    mailed = make_applicant(tenant.company, name="井上 一")
    broken = make_applicant(tenant.company, name="上田 宇", email="not-an-address")
    rejection_email_queue(applicant=mailed, version=version)
    strangers = make_applicant(outsider.company, name="他社 応募者")

    query = "&".join(f"applicant={a.pk}" for a in (fine, mailed, broken, strangers))
    response = owner_client.get(f"/company/mail/send/?{query}")

    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.eligible == [fine]
    reasons = {s.applicant.name: s.reason for s in plan.skipped}
    assert reasons == {
        "井上 一": "お祈りメールは作成済みです(状態: 送信待ち)。",
        "上田 宇": "メールアドレスの形式が正しくありません。",
    }
    assert plan.not_found == 1
    page = response.content.decode()
    assert "他社 応募者" not in page
    assert "1 件が見つかりませんでした" in page


def test_confirming_shows_the_rendered_email_and_sending_queues_one_per_applicant(
    owner_client: Client, tenant: Tenant, version: TemplateVersion, django_capture_on_commit_callbacks: Any
) -> None:
    applicants = [make_applicant(tenant.company, name=f"応募者 {n}") for n in range(3)]
    batch = an_import(tenant, *applicants)
    form = {"link": tenant.link.pk, "import": batch.pk}

    preview = owner_client.post("/company/mail/send/", choose(form))
    assert preview.status_code == 200
    [group] = preview.context["previews"]
    assert group.group.template == version.template  # the company's 書類選考・中途 template: the applicants' stage
    assert group.subject == "【株式会社テスト商事】選考結果のご連絡"
    assert "応募者 0 様" in group.opening
    assert OutboundEmail.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/company/mail/send/", choose(form, confirm=True, plan=preview.context["fingerprint"])
        )
    assert response.status_code == 302 and response["Location"] == "/company/mail/outbox/"
    assert OutboundEmail.objects.filter(status=Status.SENT).count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in applicants)
    assert AuditEntry.objects.get(action="rejection_email.queue").detail["count"] == 3

    again = owner_client.post("/company/mail/send/", choose(form, confirm=True, plan=preview.context["fingerprint"]))
    assert again.status_code == 200  # nobody left to mail: the page explains instead of sending
    assert OutboundEmail.objects.count() == 3
    assert len(mail.outbox) == 3


def test_sending_at_a_chosen_time_uses_japan_time(
    owner_client: Client, tenant: Tenant, version: TemplateVersion
) -> None:
    applicant = make_applicant(tenant.company)
    form = {"link": tenant.link.pk, "applicant": applicant.pk}

    confirm_and_send(owner_client, form, when="at", send_at="2030-04-01T10:00")

    email = OutboundEmail.objects.get()
    assert email.send_after == datetime(2030, 4, 1, 1, 0, tzinfo=UTC)
    assert email.status == Status.QUEUED
    outbox_dispatch()
    assert mail.outbox == []  # not yet due


def test_sending_n_business_days_after_rejection_skips_weekends_holidays_and_the_year_end(
    client: Client, tenant: Tenant, version: TemplateVersion, frozen_now: Any
) -> None:
    frozen_now(datetime(2030, 12, 27, 10, tzinfo=UTC))
    owner_client = login(client, tenant.owner)  # after the clock moved, or the session would already have expired
    year_end = make_applicant(tenant.company, rejected_at=datetime(2030, 12, 27, JST_18H, tzinfo=UTC))  # a Friday
    golden_week = make_applicant(
        tenant.company, rejected_at=datetime(2030, 4, 26, JST_18H, tzinfo=UTC)
    )  # 4/29: 昭和の日; more than 90 days before "now", so a person ticks it
    form = {"link": tenant.link.pk, "applicant": [year_end.pk, golden_week.pk]}

    confirm_and_send(
        owner_client, form, when="business_days", business_days="3", send_time="09:30", dated=golden_week.pk
    )

    send_after = dict(OutboundEmail.objects.values_list("applicant", "send_after"))
    assert timezone.localtime(send_after[year_end.pk]).isoformat() == "2031-01-08T09:30:00+09:00"
    assert send_after[golden_week.pk] == timezone.now()  # 2030-05-02 09:30 has passed: it goes now


def test_a_past_business_day_or_time_sends_now_and_an_applicant_without_a_rejection_date_counts_from_import(
    owner_client: Client, tenant: Tenant, version: TemplateVersion
) -> None:
    long_ago = make_applicant(tenant.company, rejected_at=datetime(2020, 1, 6, 0, tzinfo=UTC))
    undated = make_applicant(tenant.company)
    form = {"link": tenant.link.pk, "applicant": [long_ago.pk, undated.pk]}
    before = timezone.now()

    confirm_and_send(owner_client, form, when="business_days", business_days="0", send_time="10:00", dated=long_ago.pk)

    send_after = dict(OutboundEmail.objects.values_list("applicant", "send_after"))
    assert before <= send_after[long_ago.pk] <= timezone.now()
    assert send_after[undated.pk] >= before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"when": "at", "send_at": "2020-01-01T10:00"}, "send_at", "過去の日時は指定できません。"),
        ({"when": "at", "send_at": ""}, "send_at", "送信日時を入力してください。"),
        ({"when": "at", "send_at": "来週の月曜"}, "send_at", "日時は 2026/04/01 10:00 の形式で入力してください。"),
        ({"when": "business_days", "business_days": "三"}, "business_days", "営業日数は数字で入力してください。"),
        ({"when": "business_days", "business_days": "31"}, "business_days", "営業日数は 30 以下で入力してください。"),
        ({"when": "business_days", "business_days": ""}, "business_days", "営業日数を入力してください。"),
        ({"link": "999999"}, "link", "リレーリンクを選び直してください。"),
    ],
)
def test_bad_choices_are_explained_in_japanese_and_nothing_is_queued(
    owner_client: Client, tenant: Tenant, version: TemplateVersion, fields: dict[str, str], field: str, message: str
) -> None:
    applicant = make_applicant(tenant.company)
    form = {"link": tenant.link.pk, "applicant": applicant.pk, **fields}

    response = owner_client.post("/company/mail/send/", choose(form, confirm=True))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert OutboundEmail.objects.count() == 0


def test_another_companys_link_cannot_be_used(
    owner_client: Client, tenant: Tenant, outsider: Tenant, version: TemplateVersion
) -> None:
    applicant = make_applicant(tenant.company)
    form = {"link": outsider.link.pk}
    response = owner_client.post("/company/mail/send/", choose(form, confirm=True, applicant=applicant.pk))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert OutboundEmail.objects.count() == 0


def test_the_page_explains_when_nothing_is_chosen_or_no_template_exists(owner_client: Client, tenant: Tenant) -> None:
    assert "送信する応募者が選ばれていません" in owner_client.get("/company/mail/send/").content.decode()
    applicant = make_applicant(tenant.company)
    RejectionTemplate.objects.filter(company=tenant.company).update(is_active=False)  # the library is installed
    page = owner_client.get(f"/company/mail/send/?applicant={applicant.pk}&applicant=abc").content.decode()
    assert "利用中のテンプレートがありません" in page


def test_the_outbox_lists_filters_and_searches_emails(
    owner_client: Client, tenant: Tenant, version: TemplateVersion
) -> None:
    sent = rejection_email_queue(applicant=make_applicant(tenant.company, name="送信 済子"), version=version)
    outbox_dispatch()
    failed = rejection_email_queue(applicant=make_applicant(tenant.company, name="失敗 太郎"), version=version)
    clicked = rejection_email_queue(applicant=make_applicant(tenant.company, name="押下 花子"), version=version)
    assert sent and failed and clicked
    OutboundEmail.objects.filter(pk=failed.pk).update(status=Status.FAILED, last_error="550 No such user")
    OutboundEmail.objects.filter(pk=clicked.pk).update(status=Status.SENT, clicked_at=timezone.now())

    def names(query: str) -> set[str]:
        response = owner_client.get(f"/company/mail/outbox/{query}")
        assert response.status_code == 200
        return {e.applicant.name for e in response.context["page"]}

    assert names("") == {"送信 済子", "失敗 太郎", "押下 花子"}
    assert names("?status=failed") == {"失敗 太郎"}
    assert names("?status=clicked") == {"押下 花子"}
    assert names("?status=sent") == {"送信 済子", "押下 花子"}
    assert names("?q=失敗") == {"失敗 太郎"}
    assert names("?q=ｼｯﾊﾟｲ") == set()
    assert names("?kind=rechallenge") == set()
    assert names("?status=nonsense") == {"送信 済子", "失敗 太郎", "押下 花子"}
    page = owner_client.get("/company/mail/outbox/").content.decode()
    assert '<span class="badge clicked">クリック</span>' in page
    assert '<span class="badge failed">失敗</span>' in page


def test_the_detail_page_shows_the_email_and_lets_a_manager_resend_a_failure(
    owner_client: Client, tenant: Tenant, version: TemplateVersion
) -> None:
    email = rejection_email_queue(applicant=make_applicant(tenant.company, name="再送 一郎"), version=version)
    assert email is not None
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.FAILED, attempts=1, last_error="送信処理が中断されたため、…"
    )

    page = owner_client.get(f"/company/mail/outbox/{email.pk}/").content.decode()
    assert "再送 一郎 様" in page and "送信処理が中断されたため" in page and "再送する" in page

    response = owner_client.post(f"/company/mail/outbox/{email.pk}/resend/")
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert AuditEntry.objects.filter(action="outbound_email.resend").count() == 1


def test_a_manager_cancels_a_queued_email(owner_client: Client, tenant: Tenant, version: TemplateVersion) -> None:
    email = rejection_email_queue(
        applicant=make_applicant(tenant.company), version=version, send_after=timezone.now() + timedelta(days=3)
    )
    assert email is not None
    assert "送信を取り消す" in owner_client.get(f"/company/mail/outbox/{email.pk}/").content.decode()

    owner_client.post(f"/company/mail/outbox/{email.pk}/cancel/")

    email.refresh_from_db()
    assert email.status == Status.CANCELLED
    follow = owner_client.post(f"/company/mail/outbox/{email.pk}/cancel/", follow=True)
    assert "取り消せません" in follow.content.decode()


def read_csv(content: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def test_the_personal_links_csv_opens_in_excel_and_in_shift_jis_tools(owner_client: Client, tenant: Tenant) -> None:
    applicant = make_applicant(tenant.company, name="髙橋 美咲", external_id="HERP-7", position="経理")
    batch = an_import(tenant, applicant)

    utf8 = owner_client.get(f"/company/mail/links.csv?import={batch.pk}")
    assert utf8.status_code == 200
    assert utf8["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in utf8["Content-Disposition"]
    assert utf8.content.startswith(b"\xef\xbb\xbf")
    header, row = read_csv(utf8.content, "utf-8-sig")
    assert header == ["応募者ID(ATS)", "氏名", "メールアドレス", "応募職種", "個人用リンク"]
    assert row[:4] == ["HERP-7", "髙橋 美咲", applicant.email, "経理"]
    token = parse_qs(urlparse(row[4]).query)["ref"][0]
    assert row[4].startswith(f"http://testserver/r/{tenant.link.code}?ref=")
    assert tenant.link.read_applicant_ref(token) == applicant.ref

    sjis = owner_client.get(f"/company/mail/links.csv?import={batch.pk}&encoding=cp932")
    assert sjis["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert not sjis.content.startswith(b"\xef\xbb\xbf")
    header, row = read_csv(sjis.content, "cp932")
    assert header[1] == "氏名" and row[1] == "髙橋 美咲"  # 髙 is an NEC/IBM extension CP932 keeps


def test_a_member_sees_the_outbox_but_cannot_send_cancel_or_resend(
    client: Client, tenant: Tenant, version: TemplateVersion
) -> None:
    member = login(client, tenant.member)
    applicant = make_applicant(tenant.company)
    email = rejection_email_queue(applicant=applicant, version=version)
    assert email is not None
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED)
    other = make_applicant(tenant.company)
    form = {"link": tenant.link.pk, "applicant": other.pk}

    assert member.get("/company/mail/outbox/").status_code == 200
    detail = member.get(f"/company/mail/outbox/{email.pk}/")
    assert detail.status_code == 200 and "再送する" not in detail.content.decode()
    assert member.get(f"/company/mail/links.csv?applicant={applicant.pk}").status_code == 200
    assert member.get(f"/company/mail/send/?applicant={other.pk}").status_code == 404
    assert member.post("/company/mail/send/", choose(form, confirm=True)).status_code == 404
    assert member.post(f"/company/mail/outbox/{email.pk}/resend/").status_code == 404
    assert member.post(f"/company/mail/outbox/{email.pk}/cancel/").status_code == 404
    assert OutboundEmail.objects.count() == 1
    email.refresh_from_db()
    assert email.status == Status.FAILED


def test_another_company_gets_404_on_every_url(
    outsider_client: Client, tenant: Tenant, version: TemplateVersion
) -> None:
    applicant = make_applicant(tenant.company, name="秘密 応募者")
    batch = an_import(tenant, applicant)
    email = rejection_email_queue(applicant=applicant, version=version)
    assert email is not None
    form = {"link": tenant.link.pk, "import": batch.pk}

    for url in (
        f"/company/mail/send/?import={batch.pk}",
        f"/company/mail/outbox/{email.pk}/",
        f"/company/mail/links.csv?import={batch.pk}",
        f"/company/mail/links.csv?applicant={applicant.pk}&link={tenant.link.pk}",
    ):
        assert outsider_client.get(url).status_code == 404, url
    for url in (f"/company/mail/outbox/{email.pk}/resend/", f"/company/mail/outbox/{email.pk}/cancel/"):
        assert outsider_client.post(url).status_code == 404, url
    assert outsider_client.post("/company/mail/send/", choose(form, confirm=True)).status_code == 404

    # Pages that list the outsider's own data never show the tenant's.
    own = outsider_client.get("/company/mail/outbox/").content.decode()
    assert "秘密 応募者" not in own and email.subject not in own
    by_id = outsider_client.get(f"/company/mail/send/?applicant={applicant.pk}")
    assert by_id.status_code == 200 and by_id.context["plan"].eligible == []
    csv_rows = read_csv(outsider_client.get(f"/company/mail/links.csv?applicant={applicant.pk}").content, "utf-8-sig")
    assert len(csv_rows) == 1  # the header only
    email.refresh_from_db()
    assert email.status == Status.QUEUED


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, tenant: Tenant) -> None:
    for url in ("/company/mail/send/", "/company/mail/outbox/", "/company/mail/links.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}", url


def test_a_large_send_is_a_batch_row_in_the_request_that_the_worker_expands(
    owner_client: Client,
    tenant: Tenant,
    version: TemplateVersion,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django_tasks import default_task_backend

    from mailings.models import SendBatch
    from mailings.services import sending
    from mailings.tasks import expand_send_batch

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    monkeypatch.setattr(sending, "BACKGROUND_THRESHOLD", 2)
    rejected = timezone.now() - timedelta(days=2)
    applicants = [make_applicant(tenant.company, rejected_at=rejected) for _ in range(4)]
    form = {"link": tenant.link.pk, "applicant": [a.pk for a in applicants]}
    shown = owner_client.post(
        "/company/mail/send/", choose(form, when="business_days", business_days="3", send_time="10:00")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/company/mail/send/",
            choose(
                form,
                confirm=True,
                plan=shown.context["fingerprint"],
                when="business_days",
                business_days="3",
                send_time="10:00",
            ),
            follow=True,
        )

    assert "4 件のお祈りメールの送信予約を受け付けました" in response.content.decode()
    assert OutboundEmail.objects.count() == 0
    batch = SendBatch.objects.get()
    assert (batch.status, batch.total, batch.company_id) == (SendBatch.Status.PENDING, 4, tenant.company.pk)
    assert sorted(pair[0] for pair in batch.assignments) == sorted(a.pk for a in applicants)
    (job,) = default_task_backend.results  # type: ignore[attr-defined]
    assert job.task.module_path == "mailings.tasks.expand_send_batch"
    assert job.kwargs == {"batch_id": batch.pk}

    # Between the confirmation and the worker, one was hired: the worker checks again and leaves them out.
    from applicants.services import applicant_close

    applicant_close(applicant=applicants[0], why="入社決定のため")
    assert expand_send_batch.call(*job.args, **job.kwargs) == 3
    assert expand_send_batch.call(*job.args, **job.kwargs) == 3  # a retried job adds nothing
    assert OutboundEmail.objects.count() == 3
    batch.refresh_from_db()
    assert (batch.status, batch.queued_count, batch.left_out_count) == (SendBatch.Status.DONE, 3, 1)
    assert not OutboundEmail.objects.filter(applicant=applicants[0]).exists()
    expected = business_days_send_time(rejected_at=rejected, business_days=3, send_time=time(10, 0))
    assert {e.send_after for e in OutboundEmail.objects.all()} == {expected}
    assert set(OutboundEmail.objects.values_list("created_by", flat=True)) == {tenant.owner.pk}


def test_a_large_send_job_queued_before_send_batches_still_runs_once(tenant: Tenant, version: TemplateVersion) -> None:
    from mailings.tasks import queue_confirmed_rejection_emails

    applicants = [make_applicant(tenant.company) for _ in range(2)]
    kwargs: dict[str, Any] = {
        "company_id": tenant.company.pk,
        "assignments": [[a.pk, version.pk] for a in applicants],
        "link_id": tenant.link.pk,
        "schedule": {"when": "now", "at": None, "business_days": 0, "send_time": "10:00:00"},
        "actor_id": tenant.owner.pk,
    }

    assert queue_confirmed_rejection_emails.call(**kwargs) == 2
    assert queue_confirmed_rejection_emails.call(**kwargs) == 0
    assert OutboundEmail.objects.count() == 2


def test_a_job_queued_before_per_applicant_templates_still_runs_with_its_one_text(
    tenant: Tenant, version: TemplateVersion
) -> None:
    from mailings.tasks import queue_rejection_emails

    applicants = [make_applicant(tenant.company) for _ in range(2)]
    queued = queue_rejection_emails.call(
        company_id=tenant.company.pk,
        applicant_ids=[a.pk for a in applicants],
        version_id=version.pk,
        link_id=tenant.link.pk,
        schedule={"when": "now", "at": None, "business_days": 0, "send_time": "10:00:00"},
        actor_id=tenant.owner.pk,
    )
    assert queued == 2
    assert set(OutboundEmail.objects.values_list("template_version", flat=True)) == {version.pk}


def test_the_plan_looks_up_large_selections_in_chunks(
    owner_client: Client, tenant: Tenant, version: TemplateVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailings.services import sending

    monkeypatch.setattr(sending, "LOOKUP_CHUNK", 2)  # as if the selection were larger than SQLite's parameter limit
    applicants = [make_applicant(tenant.company) for _ in range(5)]
    for applicant in applicants[1::2]:
        rejection_email_queue(applicant=applicant, version=version)
    query = "&".join(f"applicant={a.pk}" for a in applicants)

    plan = owner_client.get(f"/company/mail/send/?{query}").context["plan"]

    assert plan.eligible == applicants[0::2]
    assert [s.applicant for s in plan.skipped] == applicants[1::2]
