"""Fake people and ATS exports shared by the demo data, the benchmarks (bench/) and the tests.

Names are common Japanese family and given names with their katakana readings. The CSV headers are exactly
those of the vendors' export files (HERP Hire「候補者一覧のエクスポート」, HRMOS採用「応募者一覧CSV」), so the
importer is exercised with the files HR people really upload.
"""

FAMILY_NAMES = (
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("山下", "ヤマシタ"),
    ("中島", "ナカジマ"),
    ("石井", "イシイ"),
    ("小川", "オガワ"),
)
GIVEN_NAMES = (
    ("翔太", "ショウタ"),
    ("大輝", "ダイキ"),
    ("拓海", "タクミ"),
    ("健太", "ケンタ"),
    ("蓮", "レン"),
    ("悠斗", "ユウト"),
    ("陽翔", "ハルト"),
    ("大翔", "ヒロト"),
    ("颯太", "ソウタ"),
    ("直樹", "ナオキ"),
    ("誠", "マコト"),
    ("亮", "リョウ"),
    ("和也", "カズヤ"),
    ("隆之", "タカユキ"),
    ("雄一", "ユウイチ"),
    ("美咲", "ミサキ"),
    ("陽菜", "ヒナ"),
    ("結衣", "ユイ"),
    ("さくら", "サクラ"),
    ("葵", "アオイ"),
    ("彩花", "アヤカ"),
    ("優奈", "ユウナ"),
    ("愛", "アイ"),
    ("真由美", "マユミ"),
    ("恵", "メグミ"),
    ("由美", "ユミ"),
    ("千尋", "チヒロ"),
    ("麻衣", "マイ"),
    ("奈々", "ナナ"),
    ("明日香", "アスカ"),
)

# HERP Hire: candidates export (one row per candidate, the result in 選考終了理由).
HERP_HIRE_HEADERS = (
    "候補者ID",
    "名前",
    "フリガナ",
    "メールアドレス",
    "募集職種",
    "選考ステップ",
    "面接日",
    "選考終了日",
    "選考終了理由",
)
# HRMOS採用: applicants export (names split into 姓/名 and their readings).
HRMOS_HEADERS = (
    "応募者ID",
    "姓",
    "名",
    "セイ",
    "メイ",
    "メールアドレス",
    "求人名",
    "選考ステータス",
    "面接日",
    "不合格日",
)


def working_conditions(recruiter: str, *, fixed_term: bool = False, **overrides: object) -> dict[str, object]:
    """A complete statement of working conditions (労働条件明示, DESIGN.md rule 17) for a job order's data.

    Plain values (no model imports), so the demo, `bench/` and the tests fill job orders the same way.
    """
    data: dict[str, object] = {
        "duties_change_scope": "会社の定める業務",
        "workplace": "東京都千代田区丸の内1-1-1 本社",
        "workplace_change_scope": "会社の定める事業所(テレワークを行う場所を含む)",
        "contract_term": "indefinite",
        "contract_period": "",
        "renewal": "",
        "renewal_limit": "",
        "renewal_limit_value": None,
        "probation": "yes",
        "probation_period": "3か月",
        "probation_terms": "本採用後と同じ",
        "work_hours": "9:00〜18:00",
        "overtime": "あり(月平均20時間)",
        "breaks": "60分",
        "holidays": "完全週休2日制(土・日)、祝日、年末年始",
        "base_pay": "月給30万円〜45万円(経験・能力を考慮して決定)",
        "fixed_overtime": "yes",
        "fixed_overtime_hours": 20,
        "fixed_overtime_yen": 45000,
        "fixed_overtime_excess_paid": True,
        "insurances": "employment,workers,health,pension",
        "smoking_measure": "no_smoking",
        "smoking_note": "",
        "recruiter_name": recruiter,
    }
    if fixed_term:
        data.update(
            contract_term="fixed",
            contract_period="1年",
            renewal="possible",
            renewal_limit="years",
            renewal_limit_value=5,
        )
    data.update(overrides)
    return data
