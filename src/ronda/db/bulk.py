"""Bulk writes tuned for the scan path, on SQLite and PostgreSQL.

SQLite: one prepared statement over DB-API tuples (``exec_driver_sql``).
SQLAlchemy's per-row parameter handling costs more than the insert itself
there; only columns whose type converts values (timestamps, JSON) are
processed, with the column type's own bind processor. PostgreSQL: inserts go
through ``ronda.db.upsert.insert_ignore`` (``unnest`` arrays), updates
through SQLAlchemy's executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from ronda.db.upsert import insert_ignore, member_of

__all__ = ["IN_CHUNK", "chunks", "insert_rows", "member", "update_rows"]

IN_CHUNK = 900  # ids per IN list (under SQLite's parameter limit with room to spare)


def chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def member(column: Any, values: Sequence[Any], session: Session) -> Any:
    """``column IN values`` as one parameter: an array on PostgreSQL (``member_of``), an
    expanding parameter on SQLite (a list of literals costs a coercion per value)."""
    if session.get_bind().dialect.name == "sqlite":
        return column.in_(bindparam(None, value=list(values), expanding=True))
    return member_of(column, values, session)


def insert_rows(
    session: Session, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert-or-ignore rows given as tuples in ``names`` order."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        insert_ignore(session, table, [dict(zip(names, r, strict=True)) for r in rows])
        return
    defaults = _defaults(table, names)
    if defaults:  # columns added with a Python-side default that the caller does not know
        names = [*names, *defaults]
        extra = tuple(defaults.values())
        rows = [(*row, *extra) for row in rows]
    processors = _processors(table, names, dialect)
    if any(p is not None for p in processors):  # convert column by column
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, proc in enumerate(processors):
            if proc is not None:
                values[i] = _convert(values[i], proc)
        rows = list(zip(*values, strict=True))
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING', rows
    )


def _convert(values: Sequence[Any], proc: Any) -> list[Any]:
    """One column's values as bound on SQLite, through the column type's bind processor.

    The processor runs once per run of the same object (a batch's timestamp is one object
    for every row), and datetimes it returns become the text sqlite3's default adapter
    writes (``isoformat(" ")``), once instead of once per row inside ``executemany``.
    """
    out: list[Any] = []
    last: Any = None
    converted: Any = None
    for value in values:
        if value is None:
            out.append(None)
            continue
        if value is not last:
            converted = proc(value)
            if isinstance(converted, datetime):
                converted = converted.isoformat(" ")
            last = value
        out.append(converted)
    return out


def _defaults(table: Table, names: Sequence[str]) -> dict[str, Any]:
    """Values of the Python-side defaults (scalars and callables) of columns not in ``names``."""
    found: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in names or default is None:
            continue
        if getattr(default, "is_scalar", False):
            found[column.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            found[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return found


def _processors(table: Table, names: Sequence[str], dialect: Any) -> list[Any]:
    key = (table.name, tuple(names), dialect.name)
    found = _PROCESSORS.get(key)
    if found is None:
        found = [table.c[n].type.bind_processor(dialect) for n in names]
        _PROCESSORS[key] = found
    return found


_PROCESSORS: dict[tuple[str, tuple[str, ...], str], list[Any]] = {}


def update_rows(
    session: Session,
    table: Table,
    key: str,
    names: Sequence[str],
    rows: list[dict[str, Any]],
    *,
    add: Sequence[str] = (),
) -> None:
    """``UPDATE table SET name = :name ... WHERE key = :k`` for each row (executemany).

    Columns in ``add`` are incremented (``name = name + :name``) rather than set,
    so concurrent writers add up instead of overwriting each other.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite":
        procs = _processors(table, names, dialect)
        sets = ", ".join(f'"{n}" = "{n}" + ?' if n in add else f'"{n}" = ?' for n in names)
        columns = [
            [r[n] for r in rows] if proc is None else _convert([r[n] for r in rows], proc)
            for n, proc in zip(names, procs, strict=True)
        ]
        data = list(zip(*columns, [r["k"] for r in rows], strict=True))
        connection.exec_driver_sql(f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = ?', data)
        return
    values: dict[str, Any] = {
        n: (table.c[n] + bindparam(n)) if n in add else bindparam(n) for n in names
    }
    session.execute(update(table).where(table.c[key] == bindparam("k")).values(values), rows)
