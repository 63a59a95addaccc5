"""What counts as a résumé file: a readable PDF, judged by its content, not by its name."""

import logging
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

PDF_MAGIC = b"%PDF-"


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
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        pages = 0
    finally:
        logging.getLogger("pypdf").setLevel(previous)
        file.seek(0)
    if pages < 1:
        raise ValidationError(
            _("PDF ファイルを読み取れませんでした。破損していないか確認し、もう一度お試しください。"),
            code="unreadable",
        )
