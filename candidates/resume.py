"""What counts as a résumé file: a readable PDF without active content, judged by its content, not by its name.

Advisors open résumés on their own machines and send them on to companies, so a PDF that can run script, launch
a program or carry other files inside is refused, not stored.
"""

import logging
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

PDF_MAGIC = b"%PDF-"
# Keys that hold script, automatic actions, attached files, Flash/3D media or an XFA form.
ACTIVE_KEYS = frozenset(
    ("/JavaScript", "/JS", "/AA", "/Launch", "/EF", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA")
)
# Types of an object (`/Type`, `/Subtype`, an action's `/S`) that run something, play media or carry a file,
# instead of going to a page or a web address.
ACTIVE_TYPES = frozenset(
    (
        "/JavaScript",
        "/Launch",
        "/RichMediaExecute",
        "/ImportData",
        "/EmbeddedFile",
        "/FileAttachment",
        "/RichMedia",
        "/Screen",
        "/Movie",
        "/Sound",
        "/3D",
    )
)
TYPE_KEYS = frozenset(("/S", "/Type", "/Subtype"))
# A résumé has a few hundred objects; a file with far more is refused rather than walked for ever.
MAX_OBJECTS = 100_000


class TooManyObjects(ValueError):
    pass


def active_content(reader: PdfReader) -> str | None:
    """The first active-content key found anywhere reachable from the document's trailer, or None."""
    stack: list[Any] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise TooManyObjects
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in ACTIVE_KEYS:
                    return str(key)
                if key in TYPE_KEYS and isinstance(value, str) and value in ACTIVE_TYPES:
                    return str(value)
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def resume_validate(file: IO[bytes], *, size: int) -> None:
    """Raise ValidationError with a message the person can act on, or return when the file is a usable PDF."""
    limit = settings.RESUME_MAX_BYTES
    if size == 0:
        raise ValidationError(_("ファイルが空です。PDF ファイルをお選びください。"), code="empty")
    if size > limit:
        raise ValidationError(
            _("ファイルサイズが大きすぎます(%(size)s)。%(limit)s 以下の PDF をお選びください。")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    if not head.startswith(PDF_MAGIC):
        raise ValidationError(
            _("PDF ファイルではないようです。履歴書・職務経歴書は PDF 形式でアップロードしてください。"),
            code="not_pdf",
        )
    # A file that only looks like a PDF at the start (renamed or truncated) must still open as one.
    previous = logging.getLogger("pypdf").level
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(file, strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("パスワードで保護された PDF はお受けできません。保護を解除したファイルをアップロードしてください。"),
                code="encrypted",
            )
        pages = len(reader.pages)
        active = active_content(reader)
    except ValidationError:
        raise
    except TooManyObjects:
        raise ValidationError(
            _("PDF の構造が複雑すぎて確認できません。PDF として保存し直したファイルをアップロードしてください。"),
            code="too_complex",
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        pages, active = 0, None
    finally:
        logging.getLogger("pypdf").setLevel(previous)
        file.seek(0)
    if pages < 1:
        raise ValidationError(
            _("PDF ファイルを読み取れませんでした。破損していないか確認し、もう一度お試しください。"),
            code="unreadable",
        )
    if active is not None:
        raise ValidationError(
            _(
                "この PDF にはスクリプトや埋め込みファイルなど、開くと動く内容が含まれているため、お受けできません。"
                "文書作成ソフトで「PDF として保存」し直したファイルをアップロードしてください。"
            ),
            code="active_content",
        )
