"""Real-looking Japanese career summaries for the talent pool's redaction: each with what must disappear (an
employer, a way to reach the person, their name) and what must stay (what a company wants to read)."""

from dataclasses import dataclass

# Member companies in the corpus's world (the roster the redaction matches against).
MEMBER_COMPANIES = (
    "株式会社テスト商事",
    "サンプル電機株式会社",
    "株式会社みらいソフト",
    "合同会社ノースブリッジ",
    "有限会社山川工務店",
    "ABC Tech Inc.",
)

PERSON_NAME = ("佐藤 健太", "サトウ ケンタ")


@dataclass(frozen=True)
class Case:
    text: str
    secrets: tuple[str, ...]
    kept: tuple[str, ...] = ()


CORPUS: tuple[Case, ...] = (
    Case("トヨタ自動車で5年、生産管理を担当しました。", ("トヨタ",), ("5年、生産管理を担当しました",)),
    Case("2015年トヨタ自動車に入社し、調達部門に配属。", ("トヨタ",), ("2015年", "調達部門に配属")),
    Case("新卒でみずほ銀行に入行、その後みずほ銀行に勤務し法人営業を8年。", ("みずほ",), ("法人営業を8年",)),
    Case("三菱UFJ銀行にて3年間、融資審査を担当。", ("三菱UFJ",), ("3年間、融資審査を担当",)),
    Case("東京海上日動火災保険で5年、損害査定に従事。", ("東京海上",), ("損害査定に従事",)),
    Case("伊藤忠商事に在籍し、繊維の輸出入を担当しました。", ("伊藤忠",), ("繊維の輸出入を担当",)),
    Case("リクルートで5年間、求人広告の法人営業をしていました。", ("リクルート",), ("求人広告の法人営業",)),
    Case("メルカリにて2年、バックエンド開発(Go)。", ("メルカリ",), ("バックエンド開発(Go)",)),
    Case("株式会社サンプル商事で3年間、Python の開発をしていました。", ("サンプル商事",), ("Python の開発",)),
    Case("ＡＢＣ Ｔｅｃｈ Ｉｎｃ．に在籍、QA を担当。", ("ABC", "Tech"), ("QA を担当",)),
    Case("前職はテスト商事で経理を4年。", ("テスト商事",), ("経理を4年",)),
    Case("サンプル電機の設計部で回路設計を6年担当。", ("サンプル電機",), ("回路設計を6年担当",)),
    Case("(株)みらいソフトで SES として常駐開発。", ("みらいソフト",), ("SES として常駐開発",)),
    Case("㈱ノースブリッジにて Web マーケティングを担当。", ("ノースブリッジ",), ("Web マーケティング",)),
    Case("山川工務店で現場監督を10年。", ("山川",), ("現場監督を10年",)),
    Case("日本郵船で3年、運航管理。", ("日本郵船",), ("運航管理",)),
    Case("ソニーグループで商品企画を担当。", ("ソニー",), ("商品企画を担当",)),
    Case("野村證券に入社し、リテール営業を担当。", ("野村",), ("リテール営業",)),
    Case("連絡先: kenta.sato(at)example.jp までお願いします。", ("kenta", "example"), ("までお願いします",)),
    Case("メール kenta [at] example.co.jp", ("kenta", "example")),
    Case("ｋｅｎｔａ＠ｅｘａｍｐｌｅ．ｊｐ にご連絡ください", ("kenta", "example"), ("にご連絡ください",)),
    Case("kenta at example dot jp まで", ("kenta", "example")),
    Case("kenta.sato アットマーク example.jp", ("kenta", "example")),
    Case("ポートフォリオ: https://kenta.example.com/works と github.com/kenta-sato", ("kenta", "example", "github")),
    Case("携帯 ０９０ー１２３４ー５６７８ までお電話ください", ("1234", "5678"), ("までお電話ください",)),
    Case("TEL (03) 1234-5678 / FAX 03.1234.5679", ("1234", "5678")),
    Case("電話 +81 90 1234 5678", ("1234", "5678")),
    Case("〒150-0002 渋谷区渋谷2-21-1 在住", ("150", "0002", "2-21-1")),
    Case("佐藤健太と申します。さとう けんた です。", ("佐藤", "健太", "さとう", "けんた")),
    Case("Twitter @kenta_dev で発信しています。", ("kenta",)),
    Case("ヤマト運輸でドライバーを3年。", ("ヤマト",), ("ドライバーを3年",)),
    Case("2019年4月から楽天グループにて EC 運営。", ("楽天",), ("2019年4月から", "EC 運営")),
)

# What must never be taken for an employer or a contact: the words a company searches for.
UNTOUCHED = (
    "大手銀行で5年、法人融資を担当しました。",
    "地方銀行にて3年間、個人向け営業。",
    "総合商社で3年、海外営業。",
    "前職で5年、営業部で3年。",
    "2019-2021 年に在籍していた部署で経理を担当。",
    "ASP.NET と Node.js での開発経験があります。",
    "Python、SQL、AWS を使った Web 開発に3年間携わりました。",
    "コールセンターで2年、SV として10名のチームを管理。",
    "東京で5年、大阪で3年、法人営業に従事。",
    "TOEIC 850点、日商簿記2級。",
)
