"""Free text without the ways to identify or reach a person, for the anonymous talent pool (DESIGN.md §3 rule 10).

Pure text functions, no models: the pool's services and the migration that first redacted the existing
profiles both use them. Everything is matched after NFKC, so full-width letters, digits, ＠ and （ ） are caught
in their ordinary forms. What is removed is replaced by a neutral Japanese placeholder, so the text still reads
(「（企業名）で5年間、法人営業を担当」).

- employer names: every member company's name (with or without its legal form), any name carrying a legal
  form (株式会社〇〇, 〇〇(株), 〇〇 Inc.), names ending in an industry word (〇〇自動車, 〇〇銀行, 〇〇商事), and a
  name standing where an employer stands (〇〇で5年, 〇〇に勤務, 〇〇に在籍, 〇〇に入社);
- contact data: e-mail addresses also written with (at) / [at] / ＠ / " at " / アットマーク, URLs and bare
  domains, social handles, phone numbers in any format (10 or more digits starting 0 or +), postal codes
  and street numbers;
- the person's own name and reading (kanji, katakana and hiragana).
"""

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable

import jaconv

EMPLOYER = "（企業名）"
CONTACT = "（連絡先）"
PERSON = "（氏名）"
PLACEHOLDERS = (EMPLOYER, CONTACT, PERSON)

# Legal forms before or after a Japanese name, and their English forms. NFKC turns ㈱ into (株) already.
LEGAL_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "社会福祉法人",
    "医療法人社団",
    "医療法人",
    "学校法人",
    "独立行政法人",
    "(株)",
    "(有)",
    "(同)",
    "(資)",
    "(名)",
    "(社)",
    "(財)",
    "(医)",
    "(学)",
    "カブシキガイシャ",
    "ユウゲンガイシャ",
    "ゴウドウガイシャ",
)
_ENGLISH_FORM = r"(?:Inc\.?|Co\.,?\s*Ltd\.?|Ltd\.?|LLC|K\.K\.|Corp\.?|Corporation|Co\.)"
_LEGAL_FORM = "(?:" + "|".join(re.escape(form) for form in LEGAL_FORMS) + ")"

# Characters a company name is written in: katakana, kanji, Latin letters and digits, ・ & -; hiragana ends a
# name because particles (で, に, は, の) do.
_NAME_CHAR = r"[\u30a0-\u30ff\u4e00-\u9fff\u3005A-Za-z0-9&・\-]"
_COMPANY_WITH_FORM = re.compile(
    rf"{_LEGAL_FORM}\s?{_NAME_CHAR}+|{_NAME_CHAR}+\s?{_LEGAL_FORM}"
    rf"|[A-Za-z0-9&.\-]+(?:\s+[A-Za-z0-9&.\-]+)*\s*,?\s*{_ENGLISH_FORM}(?![A-Za-z])"
)

# Words that end a company's name and almost nothing else (〇〇自動車, 〇〇銀行, 〇〇商事, 〇〇ホールディングス).
INDUSTRY_WORDS = (
    "ホールディングス",
    "グループ",
    "コーポレーション",
    "テクノロジーズ",
    "テクノロジー",
    "ソリューションズ",
    "システムズ",
    "ジャパン",
    "自動車",
    "銀行",
    "信用金庫",
    "信金",
    "商事",
    "物産",
    "商社",
    "証券",
    "證券",
    "生命",
    "損保",
    "海上",
    "火災",
    "信託",
    "電機",
    "電気",
    "電工",
    "電子",
    "製作所",
    "製薬",
    "薬品",
    "工業",
    "重工",
    "化学",
    "化成",
    "建設",
    "工務店",
    "不動産",
    "地所",
    "航空",
    "鉄道",
    "電鉄",
    "電力",
    "瓦斯",
    "通信",
    "食品",
    "製菓",
    "製紙",
    "出版",
    "新聞",
    "新聞社",
    "放送",
    "印刷",
    "商会",
    "商店",
    "産業",
    "興業",
    "技研",
    "精機",
    "製鉄",
    "鉄鋼",
    "百貨店",
    "運輸",
    "交通",
    "保険",
    "HD",
)
# Brands written partly in hiragana, which otherwise ends a name (みずほ銀行, りそな銀行, ゆうちょ銀行).
_HIRAGANA_BRANDS = (
    "みずほ",
    "りそな",
    "ゆうちょ",
    "かんぽ",
    "あおぞら",
    "きらぼし",
    "ほくほく",
    "しずおか",
    "ふくおか",
)
_BRAND_OR_CHAR = "(?:" + "|".join(_HIRAGANA_BRANDS) + rf"|{_NAME_CHAR})"
_INDUSTRY = re.compile(
    rf"{_BRAND_OR_CHAR}{{1,20}}?(?:{'|'.join(sorted(INDUSTRY_WORDS, key=len, reverse=True))})(?![\u4e00-\u9fff])"
)
# A name where an employer stands: 〇〇で5年, 〇〇にて3年間, 〇〇に勤務, 〇〇に在籍, 〇〇に入社, 〇〇を退職.
_EMPLOYER_CONTEXT = re.compile(
    rf"(?P<name>{_BRAND_OR_CHAR}{{2,30}})(?=(?:で|にて)\s?\d+\s?(?:年|ヶ月|か月|カ月|ヵ月)"
    r"|(?:に|で|にて)(?:勤務|在籍|入社|就職|転職|勤め|勤続|所属)|を(?:退職|退社)|(?:の|にて)(?:社員|正社員|契約社員))"
)
# Leading words that are not a name (a year, a month): 2015年トヨタ自動車に入社 keeps 2015年.
_LEADING_DATE = re.compile(r"^(?:\d+年(?:\d+月)?|\d+月)+")
# A "name" before で/に勤務 that is really a place, a department or a kind of company stays: it identifies nobody.
_GENERIC_ENDINGS = (
    "部",
    "課",
    "室",
    "係",
    "班",
    "職",
    "業界",
    "業務",
    "現場",
    "部門",
    "部署",
    "チーム",
    "店舗",
    "店",
    "センター",
    "工場",
    "支店",
    "支社",
    "本社",
    "営業所",
    "会社",
    "企業",
    "業",
    "系",
    "県",
    "都",
    "府",
    "道",
    "市",
    "区",
    "町",
    "村",
    "国",
    "海外",
    "国内",
    "大学",
    "大学院",
    "学校",
    "病院",
    "施設",
    "事務所",
    "法人",
    "団体",
    "官公庁",
    "役所",
    "職場",
    "環境",
    "プロジェクト",
    "ベンチャー",
    "スタートアップ",
    "メーカー",
    "ファーム",
    "エージェント",
    "SIer",
    "IT",
    "コンサル",
    "バンク",
    "企業名",
    "連絡先",
    "氏名",
)
_GENERIC_WORDS = frozenset(
    {
        "前職",
        "現職",
        "新卒",
        "同社",
        "当社",
        "弊社",
        "自社",
        "他社",
        "東京",
        "大阪",
        "名古屋",
        "福岡",
        "札幌",
        "仙台",
        "横浜",
        "京都",
        "神戸",
        "首都圏",
        "関東",
        "関西",
        "地元",
        "海外",
        "国内",
        "外資",
        "日系",
        "大手",
        "中堅",
        "中小",
        "地方",
        "都市",
        "外資系",
        "本部",
        "現在",
        "以前",
        "最初",
        "その後",
    }
)
_GENERIC_PREFIXES = (
    "総合",
    "専門",
    "大手",
    "地方",
    "外資系",
    "外資",
    "日系",
    "中堅",
    "中小",
    "国内",
    "都市",
    "地銀",
    "ネット",
    "メガ",
)

_AT = r"\s*(?:@|\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\}|<\s*at\s*>|\s+at\s+|アットマーク|あっとまーく|\s*アット\s*)\s*"
_DOT = r"\s*(?:\.|\(\s*dot\s*\)|\[\s*dot\s*\]|\{\s*dot\s*\}|\s+dot\s+|ドット|どっと)\s*"
_EMAIL = re.compile(rf"[A-Za-z0-9._%+\-]+{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)+", re.IGNORECASE)
_URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
# A bare domain (example.jp, foo.co.jp); lower case only, so ASP.NET and Node.js stay.
_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9.\-])[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*"
    r"\.(?:com|net|org|jp|io|co|biz|info|dev|app|me|tokyo|ai)(?![A-Za-z0-9\-])(?:/[A-Za-z0-9\-._~/?#%=&+]*)?"
)
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_]{2,}")
# Digits with any separator people type between them, the katakana long vowel included (090ー1234ー5678).
_PHONE = re.compile(r"(?<![\d.])\(?\+?\d[\d\s.\-\u2010-\u2015\u2212\u30fc\uff70()]{7,}\d(?![\d])")
_DASH = r"\-\u2010-\u2015\u2212\u30fc\uff70"
_POSTAL = re.compile(rf"〒\s*\d{{3}}\s*[{_DASH}]?\s*\d{{4}}|(?<![\d{_DASH}])\d{{3}}[{_DASH}]\d{{4}}(?![\d{_DASH}])")
_STREET = re.compile(
    r"\d+丁目\s*\d+(?:番地?|-)\s*\d*(?:号)?"
    r"|(?<=[\u4e00-\u9fff])\d{1,4}-\d{1,4}-\d{1,4}(?![\d年])|(?<=[\u4e00-\u9fff])\d{1,3}-\d{1,3}(?![\d年])"
)


def normalize(text: str) -> str:
    """NFKC line by line, spaces collapsed within a line (line breaks are kept, they are the text's shape)."""
    return "\n".join(" ".join(unicodedata.normalize("NFKC", line).split()) for line in (text or "").splitlines())


def company_core(name: str) -> str:
    """A company's name without its legal form and spaces: 「トヨタ自動車株式会社」→「トヨタ自動車」."""
    core = unicodedata.normalize("NFKC", name or "")
    for form in sorted(LEGAL_FORMS, key=len, reverse=True):
        core = core.replace(form, "")
    core = re.sub(rf",?\s*{_ENGLISH_FORM}\s*$", "", core.strip(), flags=re.IGNORECASE)
    return "".join(core.split())


def roster_names(company_names: Iterable[str]) -> tuple[str, ...]:
    """The member companies' names as matched in text: each core name of 2 or more characters, longest first."""
    cores = {core for core in (company_core(name) for name in company_names) if len(core) >= 2}
    return tuple(sorted(cores, key=lambda core: (-len(core), core)))


def roster_digest(company_names: Iterable[str]) -> str:
    """Changes only when the set of names matched changes: a rename that adds 株式会社 is not material."""
    return hashlib.sha256("\n".join(sorted(roster_names(company_names))).encode()).hexdigest()


@functools.lru_cache(maxsize=8)
def _roster_pattern(roster: tuple[str, ...]) -> re.Pattern[str] | None:
    if not roster:
        return None
    # Spaces inside a name are optional in text (ABC Tech ↔ ABCTech); the legal form may stand before or after.
    names = "|".join(r"\s?".join(re.escape(char) for char in core) for core in roster)
    return re.compile(
        rf"(?:{_LEGAL_FORM}\s?)?(?:{names})(?:\s?{_LEGAL_FORM}|\s*,?\s*{_ENGLISH_FORM}(?![A-Za-z]))?", re.IGNORECASE
    )


def _is_generic(name: str) -> bool:
    if name in _GENERIC_WORDS or name in _GENERIC_PREFIXES or name in INDUSTRY_WORDS:
        return True
    if name.endswith(_GENERIC_ENDINGS) or name.isdigit():
        return True
    # 大手銀行, 地方銀行, 総合商社: a kind of company, not one.
    return any(name == prefix + word for prefix in _GENERIC_PREFIXES for word in INDUSTRY_WORDS)


def _keeping_leading_date(found: re.Match[str]) -> str:
    leading = _LEADING_DATE.match(found.group())
    return (leading.group() if leading else "") + EMPLOYER


def _employer_in_context(found: re.Match[str]) -> str:
    name = found.group("name")
    leading = _LEADING_DATE.match(name)
    kept = leading.group() if leading else ""
    rest = name[len(kept) :]
    if len(rest) < 2 or _is_generic(rest) or EMPLOYER in rest:
        return name
    return kept + EMPLOYER


def _industry_name(found: re.Match[str]) -> str:
    text = found.group()
    leading = _LEADING_DATE.match(text)
    kept = leading.group() if leading else ""
    rest = text[len(kept) :]
    stem = rest
    for word in INDUSTRY_WORDS:
        if stem.endswith(word):
            stem = stem[: -len(word)]
            break
    # 大手銀行, 地方銀行, 外資系証券: a kind of company, not one.
    if not stem or stem in _GENERIC_WORDS or stem in _GENERIC_PREFIXES or _is_generic(stem):
        return text
    return kept + EMPLOYER


def _phone(found: re.Match[str]) -> str:
    return _phones_in(found.group())


def _phones_in(text: str) -> str:
    digits = "".join(char for char in text if char.isdigit())
    starts = text.lstrip("(").lstrip()
    # Japanese numbers start with 0 (10 or 11 digits) or + (international); 2019-2021 or 20150401 stay.
    if (starts.startswith("0") and 10 <= len(digits) <= 11) or (starts.startswith("+") and 10 <= len(digits) <= 15):
        return CONTACT
    # Not one number: a number may still start later in the run (「2019 090-1234-5678」).
    head = re.match(r"\(?\+?\d+[^\d]+", text)
    if head is None:
        return text
    return head.group() + _PHONE.sub(_phone, text[head.end() :])


def _name_forms(names: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for name in names:
        whole = normalize(name).replace("\u3000", " ")
        for part in {whole, whole.replace(" ", ""), *whole.split(" ")}:
            if len(part) >= 2:
                forms |= {part, jaconv.kata2hira(part), jaconv.hira2kata(part)}
    return forms


def redact(text: str, *, names: Iterable[str] = (), roster: tuple[str, ...] = ()) -> str:
    """The text with employers, contact data and the person's name replaced by placeholders.

    `names` are the person's own name and reading; `roster` the member companies' core names
    (`roster_names`). Idempotent: redacting redacted text changes nothing (a placeholder can make a new match
    next to it, 「x.jp@at」 → 「（連絡先）@at」, so the passes repeat until nothing changes).
    """
    names = tuple(names)
    for _ in range(5):
        redacted = _redact_once(text, names=names, roster=roster)
        if redacted == text:
            break
        text = redacted
    return text


def _redact_once(text: str, *, names: tuple[str, ...], roster: tuple[str, ...]) -> str:
    text = normalize(text)
    for placeholder in PLACEHOLDERS:  # NFKC folds their full-width brackets: redacted text stays as it was
        text = text.replace(unicodedata.normalize("NFKC", placeholder), placeholder)
    for pattern in (_EMAIL, _URL, _HANDLE, _DOMAIN):
        text = pattern.sub(CONTACT, text)
    text = _PHONE.sub(_phone, text)
    text = _POSTAL.sub(CONTACT, text)
    text = _STREET.sub(CONTACT, text)
    for form in sorted(_name_forms(names), key=len, reverse=True):
        text = text.replace(form, PERSON)
    roster_pattern = _roster_pattern(roster)
    if roster_pattern is not None:
        text = roster_pattern.sub(EMPLOYER, text)
    text = _COMPANY_WITH_FORM.sub(_keeping_leading_date, text)
    text = _INDUSTRY.sub(_industry_name, text)
    text = _EMPLOYER_CONTEXT.sub(_employer_in_context, text)
    # Two placeholders side by side (（企業名）（企業名）) read as one.
    for placeholder in PLACEHOLDERS:
        text = re.sub(rf"(?:{re.escape(placeholder)}\s?){{2,}}", placeholder, text)
    return text
