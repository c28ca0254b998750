"""Rows of a read table folded in memory over a batch, then written at once (ADR 0052).

A read model used to send two or three single-row statements per event; a batch of 500
events was 1,500 round trips. Now it loads the rows the batch touches with one SELECT per
table (`Table.load`), lets each event change them in memory (`insert`, `update`), and
writes the new rows with one `COPY` and the changed ones with one `UPDATE … FROM` a
scratch table filled by `COPY` (`flush`; ADR 0059). Rows that are only ever added
(histories) go through `Appends`: one `COPY`, no load; where a row's key may be there
already, one `SELECT` of the keys first (ADR 0066). Items whose stream begins in the
batch (`begun`) are neither loaded nor looked up: no row of theirs can be there yet.

Column types and defaults are read from the catalog, once per connection, so the models
name only the columns they set; a read table's defaults must therefore be constants (they
are evaluated once, not per row).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal
from weakref import WeakKeyDictionary

import psycopg
from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

Row = dict[str, Any]
# What an insert does when the key is already there: what `ON CONFLICT DO NOTHING` did,
# or fail as a plain INSERT did (the batch is then applied event by event, and parked).
OnConflict = Literal["nothing", "error"]


def key_getter(key: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """A row's key as a tuple, picked in C (a generator per row was 4% of a rebuild)."""
    if len(key) == 1:
        only = key[0]
        return lambda row: (row[only],)
    return itemgetter(*key)


class DuplicateRow(Exception):
    """An insert found its key already there, where the plain INSERT it replaces would fail."""


@dataclass(frozen=True)
class Shape:
    """A table's columns in order, their types, and the values of their defaults."""

    name: str
    columns: tuple[str, ...]
    types: dict[str, str]
    defaults: dict[str, Any]


_SHAPES: WeakKeyDictionary[psycopg.Connection[Any], dict[str, Shape]] = WeakKeyDictionary()

_COLUMNS = (
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid)"
    " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
)


def shape_of(cur: Cursor[Any], table: str) -> Shape:
    """The table's shape, read once per connection (the DDL runs before the first batch)."""
    known = _SHAPES.setdefault(cur.connection, {})
    if table not in known:
        found = cur.execute(_COLUMNS, (table,)).fetchall()
        columns = tuple(str(name) for name, _, _ in found)
        types = {str(name): str(kind) for name, kind, _ in found}
        expressions = {str(name): str(expr) for name, _, expr in found if expr is not None}
        defaults: dict[str, Any] = {}
        if expressions:  # our own DDL's constant defaults, evaluated in one statement
            values = cur.execute(
                sql.SQL("SELECT {}").format(
                    sql.SQL(", ").join(sql.SQL(expr) for expr in expressions.values())
                )
            ).fetchone()
            defaults = dict(zip(expressions, values or (), strict=True))
        known[table] = Shape(table, columns, types, defaults)
    return known[table]


def _copy_value(kind: str, value: Any) -> Any:
    """The value as COPY takes it: jsonb wrapped, arrays as lists (text COPY parses them)."""
    if value is None:
        return None
    if kind == "jsonb":
        return value if isinstance(value, Jsonb) else Jsonb(value)
    if kind.endswith("[]"):
        return list(value)
    return value


def _copy(cur: Cursor[Any], shape: Shape, rows: list[Row], into: sql.Composable) -> None:
    """COPY `rows`, every column of `shape` (a column a row lacks takes the table's
    default), into `into`: the server's cheapest way in, and psycopg formats the rows in C
    (binding arrays of parameters for unnest was a third of a batch's time, ADR 0059)."""
    columns, types = shape.columns, shape.types
    base = {c: shape.defaults.get(c) for c in columns}  # a column a row lacks: its default
    pick: Callable[[Row], Any] = (
        itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    )
    wrapped = [i for i, c in enumerate(columns) if types[c] == "jsonb" or types[c].endswith("[]")]
    query = sql.SQL("COPY {} ({}) FROM STDIN").format(
        into, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(query) as copy:
        for row in rows:
            values = pick(base | row)  # the merge and the pick run in C
            if wrapped:
                values = list(values)
                for i in wrapped:
                    values[i] = _copy_value(types[columns[i]], values[i])
            copy.write_row(values)


def _scratch(cur: Cursor[Any], shape: Shape, rows: list[Row]) -> sql.Identifier:
    """A temporary table of `shape`'s columns holding exactly `rows`, for a statement that
    needs them as a relation (`UPDATE … FROM`). Created once per session
    (`IF NOT EXISTS`: a transaction rolled back takes its creation with it), emptied first."""
    scratch = sql.Identifier(f"rowset_{shape.name}")
    cur.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {})").format(
            scratch, sql.Identifier(shape.name)
        )
    )
    cur.execute(sql.SQL("TRUNCATE {}").format(scratch))
    _copy(cur, shape, rows, scratch)
    return scratch


def begun(events: Iterable[Any]) -> set[Any]:
    """The items whose stream begins with one of `events` (its version 1). No row keyed
    by such an item can be in a read table yet: its rows come from its own events only,
    and none of them comes before the first (a later version is recorded after it, so at
    a later position), so none has been applied. Their rows need no load (ADR 0066)."""
    return {e.originator_id for e in events if e.originator_version == 1}


def write(
    cur: Cursor[Any],
    shape: Shape,
    rows: list[Row],
    key: tuple[str, ...],
    on_conflict: Literal["nothing", "error"],
    new: Collection[Any] = (),
) -> None:
    """Insert every row: COPY straight in when a conflict on `key` must fail; when it
    must do nothing, the keys the table already holds are read first (one SELECT by the
    key's first column) and only the other rows COPied in, the first row of a key winning
    as in one `INSERT … ON CONFLICT DO NOTHING` (ADR 0066: the scratch table that
    statement needed was a tenth of a rebuild; the runner, holding the tracking row, is
    the tables' only writer, so nothing can come in between). The keys are not read for
    the items in `new` (`begun`): the table holds no row of theirs."""
    if not rows:
        return
    if on_conflict == "nothing":
        rows = _absent(cur, shape, rows, key, new)
        if not rows:
            return
    _copy(cur, shape, rows, sql.Identifier(shape.name))


def _absent(
    cur: Cursor[Any], shape: Shape, rows: list[Row], key: tuple[str, ...], new: Collection[Any]
) -> list[Row]:
    """`rows` less those whose key the table holds and the later of two with one key."""
    first = key[0]
    query = sql.SQL("SELECT {} FROM {} WHERE {} = ANY(CAST(%s AS {}[]))").format(
        sql.SQL(", ").join(map(sql.Identifier, key)),
        sql.Identifier(shape.name),
        sql.Identifier(first),
        sql.SQL(shape.types[first]),  # the catalog's own name of the column's type
    )
    wanted = list({row[first] for row in rows} - set(new))
    if len({type(value) for value in wanted}) > 1:  # e.g. ids as UUIDs and as text
        wanted = [str(value) for value in wanted]
    found = cur.execute(query, (wanted,)).fetchall() if wanted else []
    # compared as text: the table's values and the rows' may differ in type (an id as
    # UUID or as its text), never in their text form; str only for items already there
    held = {tuple(map(str, values)) for values in found}
    items = {values[0] for values in held}
    kept: dict[tuple[Any, ...], Row] = {}
    key_of = key_getter(key)
    for row in rows:
        values = key_of(row)
        if values in kept:
            continue
        if items and str(values[0]) in items and tuple(map(str, values)) in held:
            continue
        kept[values] = row
    return list(kept.values())


def rewrite(cur: Cursor[Any], shape: Shape, rows: list[Row], key: tuple[str, ...]) -> None:
    """Update every row, found by `key`, to its new values: the rows COPied into a scratch
    table, then one `UPDATE … FROM` it."""
    rest = [c for c in shape.columns if c not in key]
    if not rows or not rest:
        return
    scratch = _scratch(cur, shape, rows)
    query = sql.SQL("UPDATE {t} AS t SET {sets} FROM {s} AS u WHERE {match}").format(
        t=sql.Identifier(shape.name),
        sets=sql.SQL(", ").join(sql.SQL("{c} = u.{c}").format(c=sql.Identifier(c)) for c in rest),
        s=scratch,
        match=sql.SQL(" AND ").join(
            sql.SQL("t.{c} = u.{c}").format(c=sql.Identifier(c)) for c in key
        ),
    )
    cur.execute(query)


class Table:
    """Rows keyed by `key` (the primary key), loaded for a batch, changed, written once.

    The first key column is the one rows are loaded by (an item's id): asking for a key
    whose item was not loaded loads it then, so a missed `load` costs a statement, never
    a wrong row."""

    def __init__(self, cur: Cursor[Any], name: str, key: tuple[str, ...]) -> None:
        self.cur, self.name, self.key = cur, name, key
        self._rows: dict[tuple[Any, ...], Row] = {}
        self._loaded: set[Any] = set()
        self._dirty: dict[tuple[Any, ...], Row] = {}
        self._shape: Shape | None = None
        self._stored: set[tuple[Any, ...]] = set()  # keys of rows the table holds already
        self._key_of = key_getter(key)
        self._blank: Row | None = None  # every column at its default

    @property
    def shape(self) -> Shape:
        if self._shape is None:
            self._shape = shape_of(self.cur, self.name)
        return self._shape

    def load(self, ids: Iterable[Any]) -> None:
        """The rows whose first key column is one of `ids`, in one statement."""
        # unsorted: ANY's order does not matter (sorting by str was a tenth of a rebuild)
        wanted = list({i for i in ids if i is not None} - self._loaded)
        if not wanted:
            return
        shape = self.shape
        query = sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s)").format(
            sql.SQL(", ").join(map(sql.Identifier, shape.columns)),
            sql.Identifier(self.name),
            sql.Identifier(self.key[0]),
        )
        for values in self.cur.execute(query, (wanted,)).fetchall():
            row = dict(zip(shape.columns, values, strict=True))
            key = self._key_of(row)
            self._rows[key] = row
            self._stored.add(key)
        self._loaded.update(wanted)

    def fresh(self, ids: Iterable[Any]) -> None:
        """Items known to have no row here yet (`begun`): loaded without a statement."""
        self._loaded.update(ids)

    def get(self, *key: Any) -> Row | None:
        if key[0] not in self._loaded:
            self.load([key[0]])
        return self._rows.get(key)

    def rows_of(self, item: Any) -> list[Row]:
        """Every row whose first key column is `item`."""
        if item not in self._loaded:
            self.load([item])
        return [row for key, row in self._rows.items() if key[0] == item]

    def insert(self, row: Row, on_conflict: OnConflict = "nothing") -> Row | None:
        """Add the row unless its key is there (then nothing, or DuplicateRow); returns it."""
        key = self._key_of(row)
        if self.get(*key) is not None:
            if on_conflict == "error":
                raise DuplicateRow(f"{self.name}: the row is already there")
            return None
        shape = self.shape
        if self._blank is None:
            self._blank = {c: shape.defaults.get(c) for c in shape.columns}
        full = self._blank | row  # merged in C; a column the row lacks takes its default
        if len(full) != len(self._blank):  # a name that is not a column: left out, as before
            full = {c: full[c] for c in shape.columns}
        self._rows[key] = self._dirty[key] = full
        return full

    def update(self, *key: Any, **changes: Any) -> Row | None:
        """Change the row's columns if it is there (as UPDATE … WHERE key = …); returns it."""
        row = self.get(*key)
        if row is None:
            return None
        row.update(changes)
        self._dirty[key] = row
        return row

    def flush(self) -> None:
        """New rows with one COPY, changed ones with one UPDATE from a scratch table."""
        new = [row for key, row in self._dirty.items() if key not in self._stored]
        changed = [row for key, row in self._dirty.items() if key in self._stored]
        write(self.cur, self.shape, new, self.key, "error")
        rewrite(self.cur, self.shape, changed, self.key)
        self._stored.update(self._dirty)
        self._dirty.clear()


class Appends:
    """Rows only ever added: gathered for the batch, written in one statement. With
    "nothing", the first row of a key wins, as one `ON CONFLICT DO NOTHING` per event did."""

    def __init__(
        self, cur: Cursor[Any], name: str, key: tuple[str, ...], on_conflict: OnConflict
    ) -> None:
        self.cur, self.name, self.key, self.on_conflict = cur, name, key, on_conflict
        self._rows: dict[tuple[Any, ...], Row] = {}
        self._all: list[Row] = []
        self._key_of = key_getter(key)
        self._new: set[Any] = set()

    def fresh(self, ids: Iterable[Any]) -> None:
        """Items known to have no row here yet (`begun`): their keys are not read."""
        self._new.update(ids)

    def add(self, row: Row) -> None:
        if self.on_conflict == "error":
            self._all.append(row)
        else:
            self._rows.setdefault(self._key_of(row), row)

    def flush(self) -> None:
        rows = self._all or list(self._rows.values())
        shape = shape_of(self.cur, self.name)
        write(self.cur, shape, rows, self.key, self.on_conflict, self._new)
        self._all, self._rows, self._new = [], {}, set()


class AgencyNames:
    """Agency names for history lines, loaded for a batch in one statement (`load`), an
    unknown agency shown by its id, as before."""

    def __init__(self, cur: Cursor[Any]) -> None:
        self.cur = cur
        self.known: dict[Any, str] = {}

    def load(self, ids: Iterable[Any]) -> None:
        wanted = list({i for i in ids if i is not None} - self.known.keys())
        if not wanted:
            return
        found = self.cur.execute("SELECT id, name FROM agencies WHERE id = ANY(%s)", (wanted,))
        self.known.update({row[0]: row[1] for row in found.fetchall()})
        self.known.update({i: str(i) for i in wanted if i not in self.known})

    def __call__(self, agency_id: Any) -> str:
        if agency_id not in self.known:
            self.load([agency_id])
        return self.known[agency_id]
