"""Deadlines (完成时限) as officials write them, and their parsing.

Forms seen in real ledgers: an exact date (2025年12月31日, 2026-02-28, 2026/2/28);
end of a month (2026年3月底, 6月末); a third of a month (上旬 → 10th, 中旬 → 20th,
下旬 → last day); end of a year, half-year or quarter (2026年底, 上半年, 一季度); and
"rectify at once and keep it up" (立行立改，长期坚持, 立即整改, 常态化, or a cadence such as
每季度), which has no due date. A date written without its year (6月30日前, 一季度末) needs
one from the caller (docs/decisions/0024).
When a text names several dates ("3月底前完成排查，6月底前全面整改") the last one is
the deadline of the whole item. Before a festival (2027年春节前, 国庆节前) is the day before
it; the lunar festivals (春节, 端午, 中秋) need a lunar converter, which the composition root
supplies (`use_lunar_calendar`) as for the provisional calendar. 次年 / 翌年 is the year
after the one given, 当年 / 本年 that year.

Every year a text names must be one the working calendar supports (2000–2099,
domain.calendar.supported), or the clock could never count the due; a year is written with
four digits, or with two (26年, read as 2026), never as 0001.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.calendar.statutory import LunarToSolar, qingming
from domain.calendar.supported import OUT_OF_RANGE, is_supported_year
from domain.messages import SEPARATOR, joined, says


class DeadlineKind(StrEnum):
    DATE = "DATE"
    ONGOING = "ONGOING"


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due_date: date | None
    text: str

    @classmethod
    def on(cls, due: date, text: str | None = None) -> Deadline:
        return cls(DeadlineKind.DATE, due, text if text is not None else due.isoformat())

    @classmethod
    def ongoing(cls, text: str = "立行立改，长期坚持") -> Deadline:
        return cls(DeadlineKind.ONGOING, None, text)


class DeadlineParseError(ValueError):
    def __init__(self, text: str, reason: str = "") -> None:
        self.text = text
        self.reason = reason
        message = says("cannot_read_deadline", text=text)
        super().__init__(joined(message, reason) if reason else message)


class DeadlineOutOfRange(DeadlineParseError):
    """A date the working calendar cannot count: refused as a parse error (an import names
    the row and column) but with the range in words."""

    def __init__(self, text: str, year: int) -> None:
        super().__init__(text, OUT_OF_RANGE)
        self.year = year
        self.args = (f"'{text}'：{year}年{OUT_OF_RANGE}",)

    def __str__(self) -> str:
        return str(self.args[0])


def _reason(error: ValueError) -> str:
    """Our own reasons are in both languages; the standard library's are English."""
    reason = str(error)
    return reason if SEPARATOR in reason else says("no_such_date", error=reason)


class _YearOutOfRange(ValueError):
    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year


_ONGOING_WORDS = (
    "立行立改", "长期坚持", "长期", "持续", "常态", "长效", "立即", "即知即改", "即查即改",
    "边查边改", "马上",
)  # fmt: skip
# A cadence, not a deadline: "每季度", "每月30日前" as the whole deadline are ongoing work;
# the dates inside a cadence ("每年12月底前") need no year.
_PERIODIC = re.compile(r"(?:每(?:个)?(?:月|季|半年|年|周|旬)|定期|按月|按季)[^,;。，；]*")
# A year written in the text: 2026, 2026年, 26年 (not "1.5年", "10年内" would be odd).
_WRITTEN_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)|(?<![\d.])\d{2}\s*年")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# (?<!\d): the year is the whole number written, so 12026 is not read as 2026.
_YEAR = r"(?<!\d)(?P<year>\d{4}|\d{2})\s*年"
_FESTIVALS = r"元旦|春节|清明节?|五一|劳动节|端午节?|中秋节?|国庆节?"
_BEFORE_FESTIVAL = rf"(?:{_FESTIVALS})(?:假期)?\s*(?:前|之前|以前)"
# (lunar month, day) of the festivals the lunar calendar fixes
_LUNAR = {"春节": (1, 1), "端午": (5, 5), "中秋": (8, 15)}
_RELATIVE_YEARS = (("次年", 1), ("翌年", 1), ("下一年", 1), ("第二年", 1), ("当年", 0), ("本年", 0))
# Parts of a date that need a year: 6月30日, 一季度, 上半年, 年底, 本年度, 次年, 国庆节前.
_NEEDS_YEAR = re.compile(
    r"\d{1,2}\s*月|[一二三四1-4]\s*季度|[上下]半年|年[底末内]|年度|"
    + "|".join(word for word, _ in _RELATIVE_YEARS)
    + f"|{_BEFORE_FESTIVAL}"
)
_lunar_to_solar: LunarToSolar | None = None


def use_lunar_calendar(convert: LunarToSolar | None) -> None:
    """Let deadlines before a lunar festival be read (the composition root calls this)."""
    global _lunar_to_solar
    _lunar_to_solar = convert


def _festival(year: int, name: str) -> date:
    """The first day off of a festival in a year (春节: 除夕; 清明: the solar term, no
    converter needed); "before" it is the day before."""
    name = name if name == "春节" else name.removesuffix("节")
    fixed = {"元旦": (1, 1), "五一": (5, 1), "劳动": (5, 1), "国庆": (10, 1)}
    if name in fixed:
        return date(year, *fixed[name])
    if name == "清明":
        return qingming(year)
    if _lunar_to_solar is None:
        raise ValueError(says("needs_lunar", name=name))
    first = _lunar_to_solar(year, *_LUNAR[name])
    # the Spring Festival holiday begins on 除夕, the day before the first lunar day
    return first - timedelta(days=1) if name == "春节" else first


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?<!\d)(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})")),
    ("month_end", re.compile(r"(?<!\d)(?P<year>\d{4})[-/.](?P<month>\d{1,2})(?![-/.\d])")),
    ("day", re.compile(_YEAR + r"\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]")),
    ("third", re.compile(_YEAR + r"\s*(?P<month>\d{1,2})\s*月\s*(?P<third>上旬|中旬|下旬)")),
    (
        "month_end",
        re.compile(_YEAR + r"\s*(?P<month>\d{1,2})\s*月\s*(?:底|末|份|前|$|[^\d日号上中下])"),
    ),
    (
        "festival",
        re.compile(_YEAR + rf"\s*(?P<festival>{_FESTIVALS})(?:假期)?\s*(?:前|之前|以前)"),
    ),
    ("quarter", re.compile(_YEAR + r"\s*(?:第)?(?P<quarter>[一二三四1-4])\s*季度")),
    ("half", re.compile(_YEAR + r"\s*(?P<half>上半年|下半年)")),
    ("year_end", re.compile(_YEAR + r"\s*(?:年)?(?:底|末|内|前)")),
    # A year alone (2026年, 2026年度) is its end; "2026年起" is when something starts.
    ("year_end", re.compile(r"(?<!\d)(?P<year>\d{4})\s*年(?:度)?(?!\s*(?:起|开始|以来))")),
]


def _year(raw: str) -> int:
    """Two digits are this century's year (26年); four are the year as written, so that
    0001 stays year 1 (and is refused) rather than becoming 2001."""
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _to_date(kind: str, groups: dict[str, str]) -> date:
    year = _year(groups["year"])
    if not is_supported_year(year):  # before date(): year 0 or 10000 is no date at all
        raise _YearOutOfRange(year)
    if kind in ("iso", "day"):
        return date(year, int(groups["month"]), int(groups["day"]))
    if kind == "third":
        month = int(groups["month"])
        if groups["third"] == "上旬":
            return date(year, month, 10)
        if groups["third"] == "中旬":
            return date(year, month, 20)
        return _month_end(year, month)
    if kind == "month_end":
        return _month_end(year, int(groups["month"]))
    if kind == "quarter":
        return _month_end(year, _CN_DIGITS[groups["quarter"]] * 3)
    if kind == "festival":
        return _festival(year, groups["festival"]) - timedelta(days=1)
    if kind == "half":
        return date(year, 6, 30) if groups["half"] == "上半年" else date(year, 12, 31)
    return date(year, 12, 31)


_YEAR_MARK = re.compile(r"(\d{4}|\d{2})\s*年")
_YEAR_MONTH = re.compile(r"(\d{4}|\d{2})\s*年\s*(\d{1,2})\s*月")
_BARE_MONTH = re.compile(r"(?<![\d年\s])(\s*)((\d{1,2})\s*月)")


def _fill_years(text: str) -> str:
    """Give a bare "6月底" the year of the date written before it in the same text;
    a month earlier than that date's month is in the next year ("2025年12月…，1月…")."""
    out: list[str] = []
    position = 0
    for match in _BARE_MONTH.finditer(text):
        out.append(text[position : match.start()])
        out.append(match.group(1))
        written = "".join(out)
        years = _YEAR_MARK.findall(written)
        if years:
            year = years[-1]
            months = _YEAR_MONTH.findall(written)
            if months and months[-1][0] == year and int(months[-1][1]) > int(match.group(3)):
                year = str(_year(year) + 1)
            out.append(f"{year}年")
        out.append(match.group(2))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


_RELATIVE = re.compile("|".join(word for word, _ in _RELATIVE_YEARS))


def _resolve_relative_years(text: str, year: int | None) -> str:
    """次年 / 翌年 / 当年 … against the year written before them in the text, else the year
    given ("2026年6月底前完成，次年3月底前巩固" → 2027年3月底); left as they are (and so
    refused as "no year") when there is neither."""
    offsets = dict(_RELATIVE_YEARS)
    out: list[str] = []
    position = 0
    for match in _RELATIVE.finditer(text):
        out.append(text[position : match.start()])
        written = _YEAR_MARK.findall("".join(out))
        base = _year(written[-1]) if written else year
        out.append(match.group(0) if base is None else f"{base + offsets[match.group(0)]}年")
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def names_a_year(text: str) -> bool:
    """Whether the text writes its year (2026年6月底, 2026.6.30), so needs none assumed."""
    return _WRITTEN_YEAR.search(unicodedata.normalize("NFKC", text)) is not None


def needs_a_year(text: str) -> bool:
    """A date without its year (6月30日前, 一季度末, 年底前) that `year` would complete."""
    normalised = unicodedata.normalize("NFKC", text)
    return not names_a_year(normalised) and bool(_NEEDS_YEAR.search(_PERIODIC.sub("", normalised)))


def parse_deadline(text: str, year: int | None = None) -> Deadline:
    """Read a deadline as written; raise DeadlineParseError naming the text otherwise.

    `year` completes a date written without one ("6月30日前", "一季度末"); without it such
    a date is refused as "no year". The text is kept as written either way.
    """
    original = text.strip()
    if not original:
        raise DeadlineParseError(text, says("empty"))
    normalised = unicodedata.normalize("NFKC", original)
    normalised = _resolve_relative_years(normalised, year)
    if year is not None and needs_a_year(normalised):
        normalised = f"{year}年{normalised}"
    normalised = _fill_years(normalised.replace("—", "-").replace("–", "-"))
    found: list[date] = []
    consumed = normalised
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(consumed):
            try:
                found.append(_to_date(kind, match.groupdict()))
            except _YearOutOfRange as error:
                raise DeadlineOutOfRange(original, error.year) from None
            except ValueError as error:
                raise DeadlineParseError(original, _reason(error)) from None
        # Blank out what matched so that "2026年3月底" is not read again as a year end.
        consumed = pattern.sub(lambda m: " " * len(m.group(0)), consumed)
    if found:
        return Deadline(DeadlineKind.DATE, max(found), original)
    if needs_a_year(normalised):  # "立行立改，6月底前" names a date: which year?
        raise DeadlineParseError(original, says("no_year"))
    if any(word in normalised for word in _ONGOING_WORDS) or _PERIODIC.search(normalised):
        return Deadline(DeadlineKind.ONGOING, None, original)
    raise DeadlineParseError(original)
