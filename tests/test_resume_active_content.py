"""Résumé PDFs that can act when opened (JavaScript, launch actions, automatic actions, attached files, Flash or
3D media, XFA forms) are refused with a Japanese reason and never stored; plain PDFs, links and bookmarks pass."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    RectangleObject,
    TextStringObject,
)

from accounts.models import User
from candidates.resume import resume_validate
from candidates.services import candidate_resume_save
from tests.conftest import Tenant, register_verified
from tests.test_mypage import signed_in

pytestmark = pytest.mark.django_db

MESSAGE = "開くと動く内容が含まれているため、お受けできません"


def name(value: str) -> NameObject:
    return NameObject(value)


def action(kind: str, **entries: Any) -> DictionaryObject:
    return DictionaryObject(
        {name("/Type"): name("/Action"), name("/S"): name(kind), **{name(key): value for key, value in entries.items()}}
    )


def pdf(build: Callable[[PdfWriter], object] = lambda writer: None, *, compress: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    build(writer)
    if compress:
        writer.compress_identical_objects()
        for page in writer.pages:
            page.compress_content_streams()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def open_action(kind: str, **entries: Any) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        writer._root_object[name("/OpenAction")] = writer._add_object(action(kind, **entries))

    return build


def page_entry(key: str, value: Any) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        writer.pages[0][name(key)] = value

    return build


def annotation(subtype: str, **entries: Any) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        annot = DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name(subtype),
                name("/Rect"): RectangleObject([0, 0, 100, 100]),
                **{name(key): value for key, value in entries.items()},
            }
        )
        writer.pages[0][name("/Annots")] = ArrayObject([writer._add_object(annot)])

    return build


def xfa_form(writer: PdfWriter) -> None:
    writer._root_object[name("/AcroForm")] = DictionaryObject(
        {name("/Fields"): ArrayObject(), name("/XFA"): TextStringObject("<xdp:xdp/>")}
    )


ACTIVE: dict[str, Callable[[], bytes]] = {
    "document JavaScript": lambda: pdf(lambda writer: writer.add_open_action(JavaScript("app.alert('x');"))),
    "open action JavaScript": lambda: pdf(open_action("/JavaScript", **{"/JS": TextStringObject("app.alert(1)")})),
    "launch on open": lambda: pdf(open_action("/Launch", **{"/F": TextStringObject("calc.exe")})),
    "page additional action": lambda: pdf(
        page_entry("/AA", DictionaryObject({name("/O"): action("/GoTo", **{"/D": ArrayObject([NumberObject(0)])})}))
    ),
    "link that launches": lambda: pdf(
        annotation("/Link", **{"/A": action("/Launch", **{"/F": TextStringObject("cmd.exe")})})
    ),
    "embedded file": lambda: pdf(lambda writer: writer.add_attachment("invoice.exe", b"MZ\x90\x00")),
    "rich media": lambda: pdf(annotation("/RichMedia", **{"/RichMediaContent": DictionaryObject()})),
    "XFA form": lambda: pdf(xfa_form),
    "file attachment annotation": lambda: pdf(annotation("/FileAttachment", **{"/Contents": TextStringObject("x")})),
    "JavaScript in compressed streams": lambda: pdf(
        lambda writer: writer.add_open_action(JavaScript("app.alert(2)")), compress=True
    ),
    "hex-escaped names": lambda: (
        pdf(open_action("/JavaScript", **{"/JS": TextStringObject("app.alert(3)")}))
        .replace(b"/JavaScript", b"/J#61vaScript")
        .replace(b"/JS ", b"/J#53 ")
    ),
}


def benign_link(writer: PdfWriter) -> None:
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://example.jp/portfolio"))
    writer.add_outline_item(title="職務経歴", page_number=0)
    writer._root_object[name("/OpenAction")] = ArrayObject([writer.pages[0].indirect_reference, name("/Fit")])


def check(content: bytes) -> None:
    resume_validate(io.BytesIO(content), size=len(content))


@pytest.mark.parametrize("kind", ACTIVE)
def test_a_pdf_with_active_content_is_refused_with_a_reason(kind: str) -> None:
    with pytest.raises(ValidationError, match=MESSAGE) as refused:
        check(ACTIVE[kind]())
    assert refused.value.code == "active_content"


def test_plain_pdfs_with_links_bookmarks_and_a_page_to_open_on_are_accepted() -> None:
    check(pdf())
    check(pdf(benign_link))
    check(pdf(compress=True))


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_neither_an_operator_nor_the_candidate_can_store_one(
    operator: User, operator_client: Client, tenant: Tenant, media: Path
) -> None:
    candidate = register_verified(tenant.link)
    with pytest.raises(ValidationError, match=MESSAGE):
        candidate_resume_save(
            candidate=candidate,
            file=SimpleUploadedFile("履歴書.pdf", ACTIVE["document JavaScript"](), content_type="application/pdf"),
            actor=operator,
        )
    by_operator = operator_client.post(
        f"/ops/candidates/{candidate.pk}/resume/",
        {"file": SimpleUploadedFile("履歴書.pdf", ACTIVE["embedded file"](), content_type="application/pdf")},
    )
    by_candidate = signed_in(candidate).post(
        "/me/resume/",
        {"file": SimpleUploadedFile("履歴書.pdf", ACTIVE["launch on open"](), content_type="application/pdf")},
    )

    for response in (by_operator, by_candidate):
        assert response.status_code == 400 and MESSAGE in response.content.decode()
    candidate.refresh_from_db()
    assert not candidate.resume and not [path for path in media.rglob("*") if path.is_file()]
