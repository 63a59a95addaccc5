"""Demo data: a realistic HERP Hire export of rejected applicants, imported through the real import service."""

import csv
import io
import random
from datetime import timedelta

from accounts.models import User
from applicants.models import ApplicantImport
from applicants.services import applicant_import_process, applicant_import_start, applicant_import_upload
from companies.models import Company
from demo.fakes import FAMILY_NAMES, HERP_HIRE_HEADERS
from lib.dates import jst_today

DEMO_FILENAME = "HERP_不採用者_デモ.csv"
HEADERS = list(HERP_HIRE_HEADERS)
FAMILY = FAMILY_NAMES[:6]
GIVEN = [("陽菜", "ヒナ"), ("蓮", "レン"), ("結衣", "ユイ"), ("湊", "ミナト"), ("葵", "アオイ"), ("大翔", "ヒロト")]
POSITIONS = ["法人営業(中途)", "バックエンドエンジニア", "カスタマーサクセス", "2027年度 新卒総合職"]
STEPS = ["書類選考", "一次面接", "二次面接", "最終面接"]


def demo_csv(count: int, *, seed: int = 7) -> bytes:
    """A CP932 file as HERP Hire writes it: a broken address, a repeated row, and rows that are not rejections.

    Dates are recent (within the last five weeks), as a real export's are: the rejections stay mailable."""
    rng = random.Random(seed)
    today = jst_today()

    def days_ago(days: int) -> str:
        return f"{today - timedelta(days=days):%Y/%m/%d}"

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(1, count + 1):
        family, family_kana = FAMILY[n % len(FAMILY)]
        given, given_kana = GIVEN[(n // len(FAMILY)) % len(GIVEN)]
        step = STEPS[rng.randrange(len(STEPS))]
        day = 1 + rng.randrange(20)
        writer.writerow(
            [
                f"HERP-{1000 + n}",
                f"{family} {given}",
                f"{family_kana} {given_kana}",
                f"demo.applicant{n}@example.jp",
                POSITIONS[n % len(POSITIONS)],
                step,
                days_ago(day + 14) if step != "書類選考" else "",
                days_ago(day),
                "不採用",
            ]
        )
    writer.writerow(
        ["HERP-9998", "山本 未来", "ヤマモト ミライ", "mirai@@example", POSITIONS[0], "一次面接", "", "", "不採用"]
    )
    writer.writerow(
        [
            "HERP-1001",
            "重複 太郎",
            "チョウフク タロウ",
            "demo.applicant1@example.jp",
            POSITIONS[1],
            "",
            "",
            "",
            "不採用",
        ]
    )
    # HERP exports every candidacy: these show what the import leaves out (hired, withdrew, still in selection)
    # and what it holds for the company to confirm (a reason nobody has mapped yet).
    for ref, name, kana, step, ended, reason in (
        ("HERP-9001", "中村 健", "ナカムラ ケン", "最終面接", days_ago(3), "入社決定"),
        ("HERP-9002", "小林 優", "コバヤシ ユウ", "二次面接", days_ago(5), "応募者辞退"),
        ("HERP-9003", "加藤 凛", "カトウ リン", "一次面接", "", ""),
        (
            "HERP-9004",
            "吉田 蒼",
            "ヨシダ アオイ",
            "カジュアル面談",
            f"{today - timedelta(days=4):%Y/%m/%d}",
            "スキルミスマッチ",
        ),
    ):
        address = f"demo.{ref.lower().replace('-', '')}@example.jp"
        writer.writerow([ref, name, kana, address, POSITIONS[2], step, "", ended, reason])
    return buffer.getvalue().encode("cp932")


def seed_applicants(*, company: Company, count: int = 40, actor: User | None = None) -> ApplicantImport:
    """Idempotent: the company's demo import is created once and imported right away (no worker needed)."""
    existing = ApplicantImport.objects.filter(company=company, filename=DEMO_FILENAME).first()
    if existing is not None:
        return existing
    batch = applicant_import_upload(
        company=company,
        filename=DEMO_FILENAME,
        content=demo_csv(count),
        default_stage="document",
        default_track="mid_career",
        actor=actor,
    )
    applicant_import_start(batch=batch, actor=actor)
    return applicant_import_process(batch_id=batch.pk)
