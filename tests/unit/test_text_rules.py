import pytest

from domain.errors import InvalidInput
from domain.text_rules import MAX_TEXT, check_list, check_text, text_problem


def test_ordinary_chinese_text_with_line_breaks_and_tabs_is_accepted() -> None:
    assert text_problem("1.开展自查\n2.建立台账\t（2026年3月底）\r\n") is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("a\x00b", "NUL"),
        ("a\ud800b", "lone surrogate"),
        ("a\x1bb", "control character"),
        ("a\x0bb", "control character"),
    ],
)
def test_characters_no_database_or_export_can_hold_are_refused(value: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_text("text", value)
    assert refused.value.field == "text"
    assert words in refused.value.message
    assert any("\u4e00" <= c <= "\u9fff" for c in refused.value.message)  # Chinese too


def test_text_longer_than_the_limit_is_refused_naming_the_limit() -> None:
    assert check_text("problem", "问" * MAX_TEXT) == "问" * MAX_TEXT
    with pytest.raises(InvalidInput) as refused:
        check_text("problem", "问" * (MAX_TEXT + 1))
    assert str(MAX_TEXT) in refused.value.message


def test_a_list_longer_than_the_limit_is_refused() -> None:
    check_list("attachments", ["a"] * 3, limit=3)
    with pytest.raises(InvalidInput) as refused:
        check_list("attachments", ["a"] * 4, limit=3)
    assert refused.value.field == "attachments"
