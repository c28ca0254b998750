"""Reading the cells of a rectification ledger (问题台账) into validated rows.

Pure functions: the file formats (.csv, .xlsx, .json) are read elsewhere into
`RawRow`s; here the cells become numbers, measures, responsible agencies and deadlines,
and every problem is reported with its row and column as the file names them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.deadlines import (
    Deadline,
    DeadlineKind,
    DeadlineParseError,
    needs_a_year,
    parse_deadline,
)
from domain.messages import halves, says
from domain.names import display_name, normalise_name
from domain.text_rules import MAX_ITEMS, MAX_NAME, MAX_TEXT, list_problem, text_problem

# Canonical field → headers accepted for it (Chinese as officials write them, and English;
# the last two of each required field are its names in messages).
HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("问题编号", "编号", "问题序号", "序号", "number", "no", "no.", "id"),
    "problem": (
        "反馈问题", "问题", "存在问题", "存在的问题", "问题描述", "问题清单", "问题表现",
        "主要问题", "具体问题", "问题内容", "发现问题", "整改问题", "problem", "issue",
    ),
    "measures": (
        "整改措施", "措施", "整改举措", "整改任务", "具体措施", "具体整改措施", "measures",
        "measure",
    ),
    "responsible": (
        "责任部门", "责任单位", "责任主体", "整改责任单位", "整改责任部门", "责任处室",
        "责任科室", "responsible", "agencies",
    ),
    "lead": ("牵头单位", "牵头部门", "lead"),
    "co": (
        "配合单位", "配合部门", "协办单位", "参与单位", "协同单位", "co-responsible",
        "coresponsible",
    ),
    "deadline": (
        "完成时限", "整改时限", "时限", "完成时间", "整改期限", "完成期限", "整改时间",
        "时限要求", "办结时限", "计划完成时间", "deadline", "due",
    ),
}  # fmt: skip
# Gives way to another column of its field: with 序号 (a row counter) and 问题编号 (the
# issue's number) in one sheet, 问题编号 is the number. Any other two columns of one field
# are ambiguous. People (责任领导, 责任人) are not agencies: such columns are not read.
WEAK_HEADERS = ("序号",)
REQUIRED = ("problem", "measures", "deadline")


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return f"{self.column}: {self.message}"
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass
class RawRow:
    """One record of the file: its row number as a spreadsheet shows it, and its cells."""

    row: int
    cells: dict[str, object]


@dataclass
class LedgerRow:
    row: int
    number: str
    problem: str
    measures: list[str]
    lead: str
    co: list[str]
    deadline: Deadline
    headers: dict[str, str] = field(default_factory=dict)
    # What the reader assumed, to be shown (not refused): "6月底前" read in a given year.
    notes: list[str] = field(default_factory=list)


class LedgerRejected(Exception):
    """The ledger cannot be imported; nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _header_key(header: str) -> str:
    return re.sub(r"[\s*:：()（）]", "", normalise_name(header)).lower()


_NOTE = re.compile(r"[(\[【][^)\]】]*[)\]】]")  # after NFKC: （…） is (…)


def _header_field(header: str, wanted: dict[str, str]) -> str | None:
    """The field a header names: without its bracketed note (责任单位（部门）, 整改时限(完成
    时间)), else as written, else its first part (完成时限/时间节点)."""
    text = normalise_name(header)
    for candidate in (_NOTE.sub("", text), text, re.split(r"[/、]", text)[0]):
        field = wanted.get(_header_key(candidate))
        if field is not None:
            return field
    return None


def map_headers(headers: list[str]) -> tuple[dict[str, str], list[RowProblem]]:
    """Canonical field → the header as written in the file; two columns for one field are
    a problem naming both."""
    wanted = {_header_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}
    weak = {_header_key(alias) for alias in WEAK_HEADERS}
    columns: dict[str, list[str]] = {}
    for header in headers:
        name = _header_field(str(header), wanted)
        if name is not None:
            columns.setdefault(name, []).append(str(header))
    found: dict[str, str] = {}
    problems: list[RowProblem] = []
    for name, written in columns.items():
        strong = [h for h in written if _header_field(h, {k: "" for k in weak}) is None]
        chosen = strong or written
        if len(chosen) > 1:
            quoted = " and ".join(f"'{h}'" for h in chosen)
            problems.append(
                RowProblem(
                    0,
                    " / ".join(chosen),
                    says("two_columns", name=name, quoted=quoted),
                )
            )
        else:
            found[name] = chosen[0]
    problems += [
        RowProblem(0, HEADERS[name][0] + " / " + HEADERS[name][-2], says("column_missing"))
        for name in REQUIRED
        if name not in columns
    ]
    if "responsible" not in columns and "lead" not in columns:
        problems.append(RowProblem(0, "责任部门 / responsible", says("column_missing")))
    return found, problems


# A numbered item's marker, and its style and number.
_CN_NUMERALS = "一二三四五六七八九十"
_MARKER = re.compile(
    r"(?P<circled>[①②③④⑤⑥⑦⑧⑨⑩])"
    rf"|(?<!第)[(（]\s*(?P<paren>[{_CN_NUMERALS}]{{1,3}}|\d{{1,2}})\s*[)）]"
    rf"|(?P<shi>[{_CN_NUMERALS}]{{1,3}})\s*是"
    rf"|(?<!第)(?P<dun>[{_CN_NUMERALS}]{{1,3}})\s*、(?![{_CN_NUMERALS}\d])"  # not 二、三级
    # not a date (2026.3), a decimal (1.5万元) or a clause (第1.2条)
    r"|(?<![\d.．第])(?P<digit>\d{1,2})\s*(?P<punct>[.、．)）])(?!\d)"
)
# Before an item's marker, unless it continues a sequence: 一是 after a comma too.
_BEFORE_ITEM = ";；。:："
_BEFORE_SHI = ";；。,，"


def _numeral(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CN_NUMERALS.index(text[0]) + 1
    tens, _, ones = text.partition("十")
    return (_numeral(tens) if tens else 1) * 10 + (_numeral(ones) if ones else 0)


def _marker(match: re.Match[str]) -> tuple[str, int]:
    """(style, number): a marker continues a list only in the style it began with."""
    if match["circled"]:
        return "circled", "①②③④⑤⑥⑦⑧⑨⑩".index(match["circled"]) + 1
    if match["paren"]:
        kind = "paren-digit" if match["paren"].isdigit() else "paren"
        return kind, _numeral(match["paren"])
    if match["shi"]:
        return "shi", _numeral(match["shi"])
    if match["dun"]:
        return "dun", _numeral(match["dun"])
    return "digit" + match["punct"].replace("．", "."), int(match["digit"])


def _item_starts(line: str, style: str | None = None) -> list[re.Match[str]]:
    """Markers that start an item: a circled number anywhere; any marker at the start of
    the line or after a separator; else only the next number of its list so far
    ("（一）开展检查（二）建立机制", "1.规范流程2.建立台账"). With `style`, only the markers
    of that style: the others are sub-points inside its items."""
    starts: list[re.Match[str]] = []
    last: dict[str, int] = {}
    for match in _MARKER.finditer(line):
        kind, number = _marker(match)
        before = line[: match.start()]
        separators = _BEFORE_SHI if kind == "shi" else _BEFORE_ITEM
        opens = not before.strip() or before[-1] in separators or before[-1].isspace()
        if style is not None and kind != style:
            continue
        if kind == "circled" or opens or last.get(kind) == number - 1:
            starts.append(match)
            last[kind] = number
    return starts


def _outer_style(lines: list[str]) -> str | None:
    """The style that numbers the measures; any other (一是…二是… inside 1. 2.) numbers
    sub-points of a measure. The first numbered line gives it; lines none of which starts
    numbered are each a measure (None); a single line is numbered by its first item.
    """
    firsts = [(line, starts[0]) for line in lines if (starts := _item_starts(line))]
    for line, first in firsts:
        if not line[: first.start()].strip():
            return _marker(first)[0]
    if len(lines) > 1 or not firsts:
        return None
    return _marker(firsts[0][1])[0]


def _without_marker(item: str) -> str:
    """A list item as the file's text would give it: without its own leading number."""
    starts = _item_starts(item)
    return item[starts[0].end() :] if starts and starts[0].start() == 0 else item


def split_measures(value: object) -> list[str]:
    """A JSON list, or text split at line breaks and numbered items (1. 2. / 一是 二是).

    Only the cell's outer numbering splits it: in "1.加强监管。一是开展检查；二是建立台账。
    2.完善制度" the 一是/二是 stay in the first measure's text, and a line that starts no
    numbered item continues the one before it. Without numbering, each line is a measure.
    """
    if isinstance(value, list):
        items = [_without_marker(str(item).strip()) for item in value]
    else:
        text = "" if value is None else str(value).strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, list):
                return split_measures(loaded)
        lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
        style = _outer_style(lines)
        items = []
        numbered = False  # an item of the outer numbering has begun
        for line in lines:
            starts = _item_starts(line, style) if style else []
            head = line[: starts[0].start()] if starts else line
            if numbered and head.strip():
                items[-1] += "\n" + head
            elif head.strip():
                items.append(head)
            for match, following in itertools.zip_longest(starts, starts[1:]):
                items.append(line[match.end() : following.start() if following else len(line)])
                numbered = True
    # The separators between items go; a full stop that ends a sentence is the writer's.
    cleaned = [item.strip().strip(";；,，").strip() for item in items]
    return [item for item in cleaned if item]


_OPEN = "(（[【《"
_CLOSE = ")）]】》"


def split_responsible(value: object) -> list[str]:
    """Names separated by 、 , ， ; ； or line breaks; not inside brackets (各县(市、区))."""
    text = "" if value is None else str(value)
    names: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        if depth == 0 and char in "、,，;；\r\n/":
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    result: list[str] = []
    leads: list[str] = []
    seen: set[str] = set()
    for name in names:
        # As written (inner spaces kept once: "County Health Bureau"); compared normalised.
        clean, marked_lead = _without_role_words(display_name(name).strip("。.").strip())
        key = normalise_name(clean)
        if clean and key not in seen:
            seen.add(key)
            (leads if marked_lead else result).append(clean)
    # "县医保局、县卫健局（牵头）": the agency marked as lead leads, wherever it stands.
    return leads + result


# Plans write roles into the cell: "牵头单位：县卫健局；配合单位：县医保局",
# "县卫健局牵头，县医保局、县市场监管局参与", "县卫健局（牵头）", "…按职责分工负责".
_ROLE_LABEL = re.compile(r"^(牵头|责任|主责|配合|协办|参与|协助)(单位|部门)?[:：]")
_ROLE_SUFFIX = re.compile(
    r"(?:[(（](?:牵头|主责|配合|参与|协助|协办)[)）]|按职责分工负责|按职责负责|分别负责"
    r"|负责落实|牵头负责|牵头|配合|参与|协助|协办|负责|等部门|等单位|等)$"
)


def _without_role_words(name: str) -> tuple[str, bool]:
    """The agency's name without the role words around it, and whether it was the lead."""
    lead = False
    label = _ROLE_LABEL.match(name)
    if label and label.group(0).endswith((":", "：")):
        lead = label.group(1) in ("牵头", "主责")
        name = name[label.end() :]
    while (suffix := _ROLE_SUFFIX.search(name)) and suffix.start() > 0:
        lead = lead or "牵头" in suffix.group(0) or "主责" in suffix.group(0)
        name = name[: suffix.start()]
    return name, lead


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _continues(previous: LedgerRow, number: str, problem: str) -> bool:
    return bool(number) and number == previous.number and problem == previous.problem


def _merge_into(
    row: LedgerRow,
    raw: RawRow,
    cell: Callable[[RawRow, str], object],
    problems: list[RowProblem],
    headers: dict[str, str],
    year: int | None = None,
) -> None:
    """Add a continuation row's measures, agencies and deadline to the issue it continues.

    With a deadline per measure, the issue is due when its last measure is; the texts are
    kept side by side.
    """
    row.measures.extend(m for m in split_measures(cell(raw, "measures")) if m not in row.measures)
    known = {normalise_name(n) for n in [row.lead, *row.co]}
    for column in ("lead", "responsible", "co"):
        for name in split_responsible(cell(raw, column)) if column in headers else []:
            if normalise_name(name) not in known:
                known.add(normalise_name(name))
                row.co.append(name)
    text = _text(cell(raw, "deadline"))
    if not text or text == row.deadline.text:
        return
    try:
        more = parse_deadline(text, year)
    except DeadlineParseError as error:
        problems.append(RowProblem(raw.row, headers["deadline"], str(error)))
        return
    row.notes += _assumed_year(raw.row, headers["deadline"], text, more, year)
    joined = f"{row.deadline.text}；{text}"
    dates = [d.due_date for d in (row.deadline, more) if d.due_date is not None]
    row.deadline = (
        Deadline(DeadlineKind.DATE, max(dates), joined) if dates else Deadline.ongoing(joined)
    )


def _assumed_year(
    row: int, column: str, text: str, deadline: Deadline, year: int | None
) -> list[str]:
    if year is None or deadline.due_date is None or not needs_a_year(text):
        return []
    return [
        f"row {row}, {column}: '{text}' names no year; read as {deadline.due_date.isoformat()}"
        f" (未写年份，按{year}年)"
    ]


def ledger_year(headers: dict[str, str], raw_rows: list[RawRow]) -> int | None:
    """The earliest year the deadlines of the ledger write (a ledger is drawn up in the year
    of its first deadlines), for the deadlines that write none; None if no deadline does."""
    header = headers.get("deadline", "")
    years = [
        int(found)
        for raw in raw_rows
        for found in re.findall(r"(?<!\d)(\d{4})(?!\d)", _text(raw.cells.get(header)))
        if 2000 <= int(found) <= 2099
    ]
    return min(years, default=None)


def responsible_names(
    headers: dict[str, str], raw_rows: list[RawRow]
) -> list[tuple[int, str, str]]:
    """(row, column, agency name) for every name of every row, valid or not, so that
    unknown agencies can be listed with the other problems of the same run."""
    columns = [headers[c] for c in ("lead", "responsible", "co") if c in headers]
    return [
        (raw.row, column, name)
        for raw in raw_rows
        for column in columns
        for name in split_responsible(raw.cells.get(column))
        if text_problem(name, MAX_NAME) is None  # refused with the row's other problems
    ]


# A section heading above a block of issues (一、医疗机构管理方面, （二）医保基金监管,
# 第三部分, …类问题) and the sign-off lines under a table (填报人：… 联系电话：…): rows of
# real ledgers that are not issues.
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十百]+\s*[、.．]|[（(][一二三四五六七八九十]+[)）]|"
    r"第[一二三四五六七八九十]+(?:部分|类|项|章|批))|(?:方面|类|领域)(?:问题|存在的问题)?[:：]?$"
)
_FOOTER = re.compile(
    r"^(?:填报人|填表人|审核人|审批人|制表人?|联系人|联系电话|电话|填报日期|填表日期|日期|"
    r"填报单位|报送单位|单位负责人|负责人|分管领导|主要领导|备注|说明|注)\s*[:：]"
)


def skip_headings(raw_rows: list[RawRow]) -> tuple[list[RawRow], list[str]]:
    """The rows that may be issues, and a note for each row taken as a section heading or
    a sign-off line: one text alone in the row (however many cells a merge spread it over)
    that reads as a heading, or only sign-off fields. Anything else stays, to be checked
    (and refused if incomplete) as an issue."""
    kept: list[RawRow] = []
    notes: list[str] = []
    for raw in raw_rows:
        texts = {_text(v) for v in raw.cells.values()} - {""}
        # checked as written: U+001C–U+001F count as white space and would strip away
        written = [t for v in raw.cells.values() for t in _cell_texts(v)]
        if any(text_problem(t, _NO_LIMIT) for t in written):
            kept.append(raw)  # to be refused with the row named, not skipped as a heading
        elif texts and all(_FOOTER.match(t) for t in texts):
            notes.append(f"row {raw.row}: skipped, a sign-off line '{sorted(texts)[0]}'")
        elif len(texts) == 1 and _HEADING.search(next(iter(texts))):
            notes.append(f"row {raw.row}: skipped, a section heading '{next(iter(texts))}'")
        else:
            kept.append(raw)
    return kept, notes


# How long a field's cell may be: free text, or a name, number or deadline; any other
# column is not stored, but is refused for characters no text may hold.
_CELL_LIMITS = {
    "problem": MAX_TEXT,
    "measures": MAX_TEXT,
    "responsible": MAX_TEXT,
    "lead": MAX_TEXT,
    "co": MAX_TEXT,
    "number": MAX_NAME,
    "deadline": MAX_NAME,
}
_NO_LIMIT = 2**63


def _cell_texts(value: object) -> list[str]:
    """The texts of a cell: a JSON list's items one by one, else the cell as text."""
    if isinstance(value, list):
        return [text for item in value for text in _cell_texts(item)]
    return [] if value is None else [str(value)]


def _shown_header(header: str) -> str:
    """A header as a message can show it: with NUL and the like escaped, not printed."""
    return header if text_problem(header, _NO_LIMIT) is None else repr(header)[1:-1]


def header_problems(raw_rows: list[RawRow]) -> list[RowProblem]:
    """Each header that holds a character no text may hold, once, at the first row that
    has it (a JSON ledger's objects may each have their own keys)."""
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for raw in raw_rows:
        for header in raw.cells:
            if header in seen:
                continue
            seen.add(header)
            problem = text_problem(str(header), _NO_LIMIT)
            if problem is not None:
                label, english = halves(problem)
                message = says("in_header", problem_label=label, problem=english)
                problems.append(RowProblem(raw.row, _shown_header(header), message))
    return problems


def text_problems(headers: dict[str, str], raw: RawRow) -> list[RowProblem]:
    """Every cell of the row that holds a character no text may hold (NUL, a lone
    surrogate, a control character) or is longer than its field allows; a field's names
    and measures each within their own limits, and no more of them than a list may hold."""
    fields = {header: name for name, header in headers.items()}
    problems: list[RowProblem] = []
    for header, value in raw.cells.items():
        column = _shown_header(str(header))
        field = fields.get(header)
        limit = _CELL_LIMITS.get(field or "", _NO_LIMIT)
        for text in _cell_texts(value):
            problem = text_problem(text, limit)
            if problem is not None:
                problems.append(RowProblem(raw.row, column, problem))
                break
        else:
            problems += _list_problems(field, raw.row, column, value)
    return problems


def _list_problems(field: str | None, row: int, column: str, value: object) -> list[RowProblem]:
    """A field whose entries are stored one by one: each name within MAX_NAME, and no
    more than MAX_ITEMS entries."""
    if field == "measures":
        entries = split_measures(value)
    elif field in ("responsible", "lead", "co"):
        entries = split_responsible(value)
        for name in entries:
            problem = text_problem(name, MAX_NAME)
            if problem is not None:
                label, english = halves(problem)
                message = says("in_name", problem_label=label, problem=english, name=name[:20])
                return [RowProblem(row, column, message)]
    else:
        return []
    problem = list_problem(entries, MAX_ITEMS)
    return [] if problem is None else [RowProblem(row, column, problem)]


def read_rows(
    headers: dict[str, str], raw_rows: list[RawRow], year: int | None = None
) -> list[LedgerRow]:
    """Validate every row; raise LedgerRejected with every problem found, or return all."""
    rows, problems = check_rows(headers, raw_rows, year)
    if problems:
        raise LedgerRejected(problems)
    return rows


def check_rows(
    headers: dict[str, str], raw_rows: list[RawRow], year: int | None = None
) -> tuple[list[LedgerRow], list[RowProblem]]:
    """The rows that are valid, and the problems of the others (so that other checks, such
    as unknown agencies, can run on the valid rows and be reported together).

    `year` completes the deadlines written without one ("6月30日前"); each such row says
    so in its `notes`. Without it they are refused as "no year"."""
    problems: list[RowProblem] = []
    rows: list[LedgerRow] = []
    numbers: dict[str, int] = {}
    last_seen = -1

    def cell(raw: RawRow, name: str) -> object:
        header = headers.get(name)
        return raw.cells.get(header) if header else None

    problems += header_problems(raw_rows)
    for index, raw in enumerate(raw_rows, start=1):
        unfit = text_problems(headers, raw)
        if unfit:
            problems += unfit  # the row's other checks wait until its text can be read
            continue
        if all(_text(v) == "" for v in raw.cells.values()):
            continue  # blank lines at the end of a sheet
        before = len(problems)
        number = _text(cell(raw, "number")) if "number" in headers else str(index)
        adjacent, last_seen = raw.row == last_seen + 1, raw.row
        if adjacent and rows and _continues(rows[-1], number, _text(cell(raw, "problem"))):
            # 序号 and 反馈问题 merged over several rows, one measure per row: one issue.
            _merge_into(rows[-1], raw, cell, problems, headers, year)
            continue
        if not number:
            problems.append(RowProblem(raw.row, headers["number"], says("empty")))
        elif normalise_name(number) in numbers:
            first = numbers[normalise_name(number)]
            problems.append(
                RowProblem(
                    raw.row, headers["number"], says("number_repeats", number=number, first=first)
                )
            )
        else:
            numbers[normalise_name(number)] = raw.row
        problem = _text(cell(raw, "problem"))
        if not problem:
            problems.append(RowProblem(raw.row, headers["problem"], says("empty")))
        measures = split_measures(cell(raw, "measures"))
        if not measures:
            problems.append(RowProblem(raw.row, headers["measures"], says("empty")))
        if "lead" in headers:
            leads = split_responsible(cell(raw, "lead"))
            co = split_responsible(cell(raw, "co")) + split_responsible(cell(raw, "responsible"))
            responsible_header = headers["lead"]
        else:
            leads = split_responsible(cell(raw, "responsible"))
            co = []
            responsible_header = headers["responsible"]
        names = leads + [n for n in co if normalise_name(n) not in map(normalise_name, leads)]
        if not names:
            problems.append(RowProblem(raw.row, responsible_header, says("no_responsible")))
        deadline_text = _text(cell(raw, "deadline"))
        deadline: Deadline | None = None
        try:
            deadline = parse_deadline(deadline_text, year)
        except DeadlineParseError as error:
            problems.append(RowProblem(raw.row, headers["deadline"], str(error)))
        if len(problems) == before and deadline is not None:
            rows.append(
                LedgerRow(
                    row=raw.row,
                    number=number,
                    problem=problem,
                    measures=measures,
                    lead=names[0],
                    co=names[1:],
                    deadline=deadline,
                    headers=dict(headers),
                    notes=_assumed_year(
                        raw.row, headers["deadline"], deadline_text, deadline, year
                    ),
                )
            )
    rows, too_long = _long_lists(rows)
    problems += too_long
    if not rows and not problems:
        problems.append(RowProblem(0, "file", says("no_rows")))
    return rows, problems


def _long_lists(rows: list[LedgerRow]) -> tuple[list[LedgerRow], list[RowProblem]]:
    """Rows merged from several (one measure or agency per row) can outgrow a list's limit
    that each of their cells kept."""
    kept: list[LedgerRow] = []
    problems: list[RowProblem] = []
    for row in rows:
        found = [
            RowProblem(row.row, column, problem)
            for column, entries in (
                (row.headers.get("measures", "measures"), row.measures),
                (responsible_header(row.headers), row.co),
            )
            if (problem := list_problem(entries, MAX_ITEMS)) is not None
        ]
        problems += found
        if not found:
            kept.append(row)
    return kept, problems


def responsible_header(headers: dict[str, str]) -> str:
    return headers.get("responsible") or headers.get("lead") or "responsible"


# The fields a re-import compares, each named by the column it came from.
_COMPARED = ("problem", "measures", "lead", "co", "deadline")
_EXCERPT = 30


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


def _column(headers: dict[str, str], name: str) -> str:
    if name == "lead":
        return headers.get("lead") or responsible_header(headers)
    if name == "co":
        return headers.get("co") or responsible_header(headers)
    return headers.get(name, name)


def _measures_difference(stored: list[str], new: list[str]) -> str:
    for index, (was, now) in enumerate(zip(stored, new, strict=False), start=1):
        if was != now:
            shown = _excerpt(was)
            return f"第{index}条措施已登记为“{shown}” / measure {index} stored as '{shown}'"
    return (
        f"文件中{len(new)}条措施，已登记{len(stored)}条 / {len(new)} measures, {len(stored)} stored"
    )


def reimport_problems(
    row: LedgerRow, stored: dict[str, object], new: dict[str, object]
) -> list[RowProblem]:
    """Each field of a row whose issue number is already in the campaign that differs from
    the stored issue, named by its column: re-importing a file creates nothing, and a
    changed row is refused so that nothing registered is overwritten by an import."""
    problems: list[RowProblem] = []
    differs = f"与已登记的问题“{row.number}”不同 / differs from the stored issue '{row.number}'"
    for name in _COMPARED:
        was, now = stored[name], new[name]
        if was == now:
            continue
        if name == "measures" and isinstance(was, list) and isinstance(now, list):
            detail = f": {_measures_difference(was, now)}"
        elif isinstance(was, str):
            detail = f": 已登记为“{_excerpt(was)}” / stored as '{_excerpt(was)}'"
        else:
            detail = ""
        found = RowProblem(row.row, _column(row.headers, name), differs + detail)
        if found not in problems:  # lead and co read from one column: named once
            problems.append(found)
    return problems
