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

from domain.deadlines import Deadline, DeadlineKind, DeadlineParseError, parse_deadline
from domain.names import normalise_name

# Canonical field → headers accepted for it (Chinese as officials write them, and English).
HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("问题编号", "编号", "序号", "number", "no", "no.", "id"),
    "problem": ("反馈问题", "问题", "存在问题", "问题描述", "问题清单", "problem", "issue"),
    "measures": ("整改措施", "措施", "measures", "measure"),
    "responsible": ("责任部门", "责任单位", "responsible", "agencies"),
    "lead": ("牵头单位", "牵头部门", "lead"),
    "co": ("配合单位", "配合部门", "协办单位", "co-responsible", "coresponsible"),
    "deadline": ("完成时限", "整改时限", "时限", "完成时间", "deadline", "due"),
}
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


class LedgerRejected(Exception):
    """The ledger cannot be imported; nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _header_key(header: str) -> str:
    return re.sub(r"[\s*:：()（）]", "", normalise_name(header)).lower()


def map_headers(headers: list[str]) -> tuple[dict[str, str], list[RowProblem]]:
    """Canonical field → the header as written in the file."""
    found: dict[str, str] = {}
    rank: dict[str, int] = {}
    # Aliases are listed in order of preference: with both 序号 (a row counter) and
    # 问题编号 (the number) in the sheet, 问题编号 is the number.
    wanted = {
        _header_key(alias): (name, preference)
        for name, aliases in HEADERS.items()
        for preference, alias in enumerate(aliases)
    }
    for header in headers:
        match = wanted.get(_header_key(str(header)))
        if match is None:
            continue
        name, preference = match
        if name not in found or preference < rank[name]:
            found[name], rank[name] = str(header), preference
    problems = [
        RowProblem(0, HEADERS[name][0] + " / " + HEADERS[name][-2], "column is missing")
        for name in REQUIRED
        if name not in found
    ]
    if "responsible" not in found and "lead" not in found:
        problems.append(RowProblem(0, "责任部门 / responsible", "column is missing"))
    return found, problems


_NUMBERED = re.compile(
    r"[①②③④⑤⑥⑦⑧⑨⑩]"  # circled numbers mean an item wherever they stand
    r"|(?:^|(?<=[\s;；。,，]))[一二三四五六七八九十]{1,3}\s*是"  # 一是…，二是…
    r"|(?:^|(?<=[\s;；。:：]))"
    r"(?:\d{1,2}\s*[.、．)）](?!\d)|[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|"
    r"[一二三四五六七八九十]{1,3}\s*、)"
)


_NUMBERED_AFTER_FIRST = re.compile(_NUMBERED.pattern + r"|[二三四五六七八九十]\s*是")


def split_measures(value: object) -> list[str]:
    """A JSON list, or text split at line breaks and numbered items (1. 2. / 一是 二是)."""
    if isinstance(value, list):
        items = [str(item) for item in value]
    else:
        text = "" if value is None else str(value).strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, list):
                return split_measures(loaded)
        items = []
        for line in re.split(r"[\r\n]+", text):
            # Once a line says 一是, its 二是 三是 … start items even without punctuation.
            numbered = _NUMBERED_AFTER_FIRST if "一是" in line else _NUMBERED
            starts = [m.start() for m in numbered.finditer(line)]
            if not starts:
                items.append(line)
                continue
            bounds = [0, *starts, len(line)] if starts[0] > 0 else [*starts, len(line)]
            for begin, end in itertools.pairwise(bounds):
                items.append(numbered.sub("", line[begin:end], count=1))
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
        clean, marked_lead = _without_role_words(re.sub(r"\s+", "", name).strip("。.").strip())
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
        more = parse_deadline(text)
    except DeadlineParseError as error:
        problems.append(RowProblem(raw.row, headers["deadline"], str(error)))
        return
    joined = f"{row.deadline.text}；{text}"
    dates = [d.due_date for d in (row.deadline, more) if d.due_date is not None]
    row.deadline = (
        Deadline(DeadlineKind.DATE, max(dates), joined) if dates else Deadline.ongoing(joined)
    )


def read_rows(headers: dict[str, str], raw_rows: list[RawRow]) -> list[LedgerRow]:
    """Validate every row; raise LedgerRejected with every problem found, or return all."""
    rows, problems = check_rows(headers, raw_rows)
    if problems:
        raise LedgerRejected(problems)
    return rows


def check_rows(
    headers: dict[str, str], raw_rows: list[RawRow]
) -> tuple[list[LedgerRow], list[RowProblem]]:
    """The rows that are valid, and the problems of the others (so that other checks, such
    as unknown agencies, can run on the valid rows and be reported together)."""
    problems: list[RowProblem] = []
    rows: list[LedgerRow] = []
    numbers: dict[str, int] = {}
    last_seen = -1

    def cell(raw: RawRow, name: str) -> object:
        header = headers.get(name)
        return raw.cells.get(header) if header else None

    for index, raw in enumerate(raw_rows, start=1):
        if all(_text(v) == "" for v in raw.cells.values()):
            continue  # blank lines at the end of a sheet
        before = len(problems)
        number = _text(cell(raw, "number")) if "number" in headers else str(index)
        adjacent, last_seen = raw.row == last_seen + 1, raw.row
        if adjacent and rows and _continues(rows[-1], number, _text(cell(raw, "problem"))):
            # 序号 and 反馈问题 merged over several rows, one measure per row: one issue.
            _merge_into(rows[-1], raw, cell, problems, headers)
            continue
        if not number:
            problems.append(RowProblem(raw.row, headers["number"], "empty"))
        elif normalise_name(number) in numbers:
            first = numbers[normalise_name(number)]
            problems.append(
                RowProblem(raw.row, headers["number"], f"'{number}' repeats row {first}")
            )
        else:
            numbers[normalise_name(number)] = raw.row
        problem = _text(cell(raw, "problem"))
        if not problem:
            problems.append(RowProblem(raw.row, headers["problem"], "empty"))
        measures = split_measures(cell(raw, "measures"))
        if not measures:
            problems.append(RowProblem(raw.row, headers["measures"], "empty"))
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
            problems.append(RowProblem(raw.row, responsible_header, "no responsible agency"))
        deadline_text = _text(cell(raw, "deadline"))
        deadline: Deadline | None = None
        try:
            deadline = parse_deadline(deadline_text)
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
                )
            )
    if not rows and not problems:
        problems.append(RowProblem(0, "file", "no rows"))
    return rows, problems


def responsible_header(headers: dict[str, str]) -> str:
    return headers.get("responsible") or headers.get("lead") or "responsible"
