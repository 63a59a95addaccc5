import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.dates import add_months
from lib.jatext import (
    email_address_valid,
    format_phone_national,
    nfkc,
    normalize_email,
    normalize_furigana,
    normalize_phone,
    personal_name_valid,
    phone_digits,
    phone_fragment,
    search_key,
    split_skills,
)


@pytest.mark.parametrize(
    "typed",
    ["Hanako@Example.JP", "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "  hanako@example.jp ", "HANAKO@EXAMPLE.JP"],
)
def test_it_folds_case_and_full_width_in_email(typed: str) -> None:
    assert normalize_email(typed) == "hanako@example.jp"


@pytest.mark.parametrize(
    "typed",
    [
        "090-1234-5678",
        "09012345678",
        "０９０－１２３４－５６７８",
        "090(1234)5678",
        "+81 90 1234 5678",
        "+819012345678",
        "090 1234 5678",
        "090ー1234ー5678",
        "０９０‐１２３４‐５６７８",
    ],
)
def test_it_reads_japanese_mobile_numbers_in_every_usual_format(typed: str) -> None:
    assert normalize_phone(typed) == "+819012345678"


def test_it_reads_landline_numbers() -> None:
    assert normalize_phone("03-1234-5678") == "+81312345678"
    assert format_phone_national("+81312345678") == "03-1234-5678"


@pytest.mark.parametrize("typed", ["12345", "abc", "", "090-1234-567", "0000000000", "090-1234-5678-9999"])
def test_it_refuses_what_is_not_a_phone_number(typed: str) -> None:
    assert normalize_phone(typed) is None


@given(st.text(max_size=30))
def test_phone_normalisation_never_crashes_and_is_stable(text: str) -> None:
    normalized = normalize_phone(text)
    assert normalized is None or normalize_phone(normalized) == normalized


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("やまだ はなこ", "ヤマダ ハナコ"),
        ("ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ"),
        ("ヤマダ　ハナコ", "ヤマダ ハナコ"),
        ("すずき-", "スズキー"),
    ],
)
def test_it_turns_any_kana_into_full_width_katakana(typed: str, expected: str) -> None:
    assert normalize_furigana(typed) == expected


@pytest.mark.parametrize("typed", ["山田 花子", "Yamada", "", "やまだ1"])
def test_it_refuses_furigana_that_is_not_kana(typed: str) -> None:
    assert normalize_furigana(typed) is None


def test_search_key_lets_hiragana_find_katakana_and_full_width_find_half_width() -> None:
    assert search_key("えんじにあ") in search_key("バックエンドエンジニア")
    assert search_key("ＰＹＴＨＯＮ") == "python"


def test_it_splits_skills_typed_with_japanese_separators_and_drops_repeats() -> None:
    assert split_skills("Python、SQL，簿記2級/python\n法人営業") == ["Python", "SQL", "簿記2級", "法人営業"]


def test_nfkc_collapses_ideographic_spaces() -> None:
    assert nfkc("山田　　花子 ") == "山田 花子"


def test_add_months_clamps_to_the_end_of_short_months() -> None:
    from datetime import date, datetime

    from lib.dates import JST

    assert add_months(datetime(2026, 1, 31, tzinfo=JST), 1) == datetime(2026, 2, 28, tzinfo=JST)
    assert add_months(datetime(2027, 11, 30, tzinfo=JST), 3) == datetime(2028, 2, 29, tzinfo=JST)
    assert add_months(datetime(2026, 11, 21, tzinfo=JST), 12) == datetime(2027, 11, 21, tzinfo=JST)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -13) == date(2024, 12, 15)


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("hanako@example.jp", True),
        ("ichiro..test.@docomo.ne.jp", True),
        ("taro.-/?@ezweb.ne.jp", True),
        ("a..b@d.vodafone.ne.jp", True),
        ("ichiro..test.@example.jp", False),  # only the carriers issued such addresses
        (".leading@docomo.ne.jp", False),
        ("two@@docomo.ne.jp", False),
        ("space in@docomo.ne.jp", False),
        ("@docomo.ne.jp", False),
        ("a.." + "x" * 62 + "@docomo.ne.jp", False),  # the loose form is held to 64 characters
    ],
)
def test_an_address_is_valid_by_rfc_or_as_a_japanese_carrier_issued_it(address: str, valid: bool) -> None:
    assert email_address_valid(address) is valid


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("山田 花子", True),
        ("佐々木 一", True),
        ("ド・ゴール", True),
        ("Anne-Marie O'Neil", True),
        ("ヤマダ", True),
        ("😀😀", False),
        ("12345", False),
        ("山田1号", False),
        ("★", False),
        ("・", False),
        ("", False),
    ],
)
def test_a_personal_name_is_letters_of_any_script_with_the_punctuation_names_use(name: str, valid: bool) -> None:
    assert personal_name_valid(name) is valid


@pytest.mark.parametrize(
    ("typed", "fragment", "digits"),
    [
        ("080-5555", True, "0805555"),
        ("０８０－５５５５", True, "0805555"),
        ("(03)1234", True, "031234"),
        ("+81-80-1234", True, "0801234"),
        ("08055551234", False, "08055551234"),
        ("Python", False, ""),
        ("2024年", False, "2024"),
    ],
)
def test_a_phone_typed_with_hyphens_or_brackets_is_searched_as_its_national_digits(
    typed: str, fragment: bool, digits: str
) -> None:
    assert phone_fragment(typed) is fragment
    assert phone_digits(typed) == digits
