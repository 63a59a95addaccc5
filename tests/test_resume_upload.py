"""Résumé PDFs: checked by content and size, stored under random names, downloaded only by staff and their owner."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from accounts.models import User
from audit.models import AuditEntry
from candidates.models import Candidate, CandidateNote
from candidates.services import candidate_note_add, candidate_resume_save
from tests.conftest import Tenant, register_verified
from tests.fixture_types import CaptureOnCommit
from tests.test_mypage import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_an_operator_uploads_a_pdf_stored_under_a_random_name(
    operator_client: Client,
    operator: User,
    tenant: Tenant,
    media: Path,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    candidate = register_verified(tenant.link, name="山田 花子")
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            f"/ops/candidates/{candidate.pk}/resume/", {"file": upload("山田花子_履歴書.pdf", pdf_bytes(2))}
        )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.resume_filename == "山田花子_履歴書.pdf" and candidate.resume_size == len(pdf_bytes(2))
    [stored] = stored_files(media)
    assert stored.parent.name == "resumes" and "山田" not in stored.name and len(stored.stem) == 32
    entry = AuditEntry.objects.get(action="candidate.resume_upload")
    assert entry.actor == operator and "山田" not in str(entry.detail)
    page = operator_client.get(f"/ops/candidates/{candidate.pk}/").content.decode()
    assert "山田花子_履歴書.pdf" in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("resume.pdf", b"I am plain text, renamed.\n" * 20, "PDF ファイルではないようです"),
        ("resume.pdf", b"<!doctype html><html><body><script>alert(1)</script></body></html>", "PDF ファイルではない"),
        ("resume.pdf", b"%PDF-1.7\nthis is not really a pdf at all\n%%EOF", "PDF ファイルを読み取れませんでした"),
        ("resume.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PDF ファイルではないようです"),
        ("resume.pdf", b"", "ファイルが空です"),
    ],
)
def test_files_that_are_not_pdfs_are_refused_with_a_reason(
    operator_client: Client, tenant: Tenant, media: Path, name: str, content: bytes, message: str
) -> None:
    candidate = register_verified(tenant.link)
    response = operator_client.post(f"/ops/candidates/{candidate.pk}/resume/", {"file": upload(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    candidate.refresh_from_db()
    assert not candidate.resume and stored_files(media) == []
    assert not AuditEntry.objects.filter(action="candidate.resume_upload").exists()


def test_a_real_pdf_with_another_name_is_accepted_by_its_content(operator: User, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    candidate_resume_save(candidate=candidate, file=upload("職務経歴書", pdf_bytes()), actor=operator)
    assert candidate.resume_filename == "職務経歴書.pdf"


def test_a_file_over_the_limit_is_refused(operator_client: Client, tenant: Tenant, settings: Any, media: Path) -> None:
    settings.RESUME_MAX_BYTES = 1024
    candidate = register_verified(tenant.link)
    big = pdf_bytes() + b"%" + b"x" * 2048
    response = operator_client.post(f"/ops/candidates/{candidate.pk}/resume/", {"file": upload("big.pdf", big)})
    assert response.status_code == 400
    assert "ファイルサイズが大きすぎます" in response.content.decode() and "1.0" in response.content.decode()
    assert stored_files(media) == []


def test_an_encrypted_pdf_is_refused(operator: User, tenant: Tenant) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    candidate = register_verified(tenant.link)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="パスワードで保護"):
        candidate_resume_save(candidate=candidate, file=upload("locked.pdf", buffer.getvalue()), actor=operator)


def test_replacing_and_deleting_remove_the_old_file(
    operator_client: Client,
    operator: User,
    tenant: Tenant,
    media: Path,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    candidate = register_verified(tenant.link)
    with django_capture_on_commit_callbacks(execute=True):
        candidate_resume_save(candidate=candidate, file=upload("a.pdf", pdf_bytes(1)), actor=operator)
    [first] = stored_files(media)
    with django_capture_on_commit_callbacks(execute=True):
        candidate_resume_save(candidate=candidate, file=upload("b.pdf", pdf_bytes(3)), actor=operator)
    [second] = stored_files(media)
    assert first != second and not first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(f"/ops/candidates/{candidate.pk}/resume/delete/")
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert not candidate.resume and candidate.resume_filename == "" and stored_files(media) == []
    actions = list(AuditEntry.objects.filter(action__startswith="candidate.resume").values_list("action", flat=True))
    assert sorted(actions) == ["candidate.resume_delete", "candidate.resume_upload", "candidate.resume_upload"]


def test_only_operators_download_and_always_as_an_attachment(
    operator_client: Client, owner_client: Client, outsider_client: Client, operator: User, tenant: Tenant
) -> None:
    candidate = register_verified(tenant.link)
    content = pdf_bytes()
    candidate_resume_save(candidate=candidate, file=upload("履歴書.pdf", content), actor=operator)
    url = f"/ops/candidates/{candidate.pk}/resume/download/"
    response = operator_client.get(url)
    assert response.status_code == 200
    assert response.getvalue() == content
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf" and "no-store" in response["Cache-Control"]
    assert owner_client.get(url).status_code == 404
    assert outsider_client.get(url).status_code == 404
    assert owner_client.post(f"/ops/candidates/{candidate.pk}/resume/delete/").status_code == 404
    assert (
        outsider_client.post(
            f"/ops/candidates/{candidate.pk}/resume/", {"file": upload("x.pdf", pdf_bytes())}
        ).status_code
        == 404
    )
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert signed_in(candidate).get(url).status_code == 302  # a candidate session is not staff
    candidate.refresh_from_db()
    assert candidate.resume


def test_a_missing_resume_answers_404(operator_client: Client, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    assert operator_client.get(f"/ops/candidates/{candidate.pk}/resume/download/").status_code == 404


def test_the_candidate_uploads_sees_and_deletes_their_own_resume_on_my_page(
    tenant: Tenant, media: Path, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link)
    client = signed_in(candidate)
    refused = client.post("/me/resume/", {"file": upload("cv.pdf", b"<html>not a pdf</html>", "text/html")})
    assert refused.status_code == 400 and "PDF ファイルではないようです" in refused.content.decode()
    assert client.post("/me/resume/", {}).status_code == 400
    response = client.post("/me/resume/", {"file": upload("my cv.pdf", pdf_bytes())})
    assert response.status_code == 302 and response["Location"] == "/me/"
    page = client.get("/me/").content.decode()
    assert "my cv.pdf" in page
    download = client.get("/me/resume/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert AuditEntry.objects.get(action="candidate.resume_upload").actor_label == "求職者本人"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/me/resume/delete/")
    candidate.refresh_from_db()
    assert not candidate.resume and stored_files(media) == []
    assert Client().get("/me/resume/download/")["Location"] == "/me/login/"


def test_deleting_the_account_removes_the_resume_file_and_the_notes(
    operator: User, tenant: Tenant, media: Path, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    candidate = register_verified(tenant.link)
    candidate_resume_save(candidate=candidate, file=upload("cv.pdf", pdf_bytes()), actor=operator)
    candidate_note_add(candidate=candidate, author=operator, body="個人的な事情を記録")
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(candidate).post("/me/delete/", {"confirm": "on"})
    assert response.status_code == 200
    assert not Candidate.objects.filter(pk=candidate.pk).exists()
    assert stored_files(media) == [] and not CandidateNote.objects.exists()


def test_the_data_download_mentions_the_resume(operator: User, tenant: Tenant) -> None:
    candidate = register_verified(tenant.link)
    candidate_resume_save(candidate=candidate, file=upload("cv.pdf", pdf_bytes()), actor=operator)
    data = signed_in(candidate).get("/me/data.json").json()
    assert data["resume"]["filename"] == "cv.pdf"
