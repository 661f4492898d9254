"""Bulk inserts that are fast on both backends, with optional ignore-on-conflict.

SQLite: ``executemany`` of one prepared statement (in-process, cheap per row).
PostgreSQL: one ``INSERT ... SELECT * FROM unnest(array, array, ...)`` per
chunk: the statement is compiled once and the rows travel as one array per
column, so 10,000 rows cost one round trip instead of 10,000. (Measured on
this machine: an executemany of 10,000 rows took over a second; multi-row
VALUES statements were slower still, because each is compiled anew.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
_UNNEST_MIN = 20
_CHUNK = 5000


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, silently skipping those that violate a unique constraint."""
    _insert(session, table, rows, ignore=True)


def insert_many(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows; a conflict is an error."""
    _insert(session, table, rows, ignore=False)


def _insert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, ignore: bool
) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        if len(rows) >= _UNNEST_MIN and _unnest_ok(table, rows[0]):
            for start in range(0, len(rows), _CHUNK):
                _pg_unnest(session, table, rows[start : start + _CHUNK], ignore=ignore)
            return
        pg_stmt = postgresql.insert(table)
        session.execute(pg_stmt.on_conflict_do_nothing() if ignore else pg_stmt, list(rows))
    elif dialect == "sqlite":
        lite_stmt = sqlite.insert(table)
        session.execute(lite_stmt.on_conflict_do_nothing() if ignore else lite_stmt, list(rows))
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported database {dialect}")


def _unnest_ok(table: Table, row: dict[str, Any]) -> bool:
    return all(
        name in table.c
        and table.c[name].type.compile(dialect=_PG) not in ("JSON", "JSONB", "BYTEA")
        for name in row
    )


def _defaults(table: Table, given: list[str]) -> dict[str, Any]:
    """Python-side column defaults the ORM would have filled in."""
    found: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if (
            column.name in given
            or default is None
            or (
                not getattr(default, "is_scalar", False)
                and not getattr(default, "is_callable", False)
            )
        ):
            continue
        arg = default.arg  # type: ignore[attr-defined]
        found[column.name] = arg(None) if callable(arg) else arg
    return found


def _pg_unnest(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, ignore: bool
) -> None:
    defaults = _defaults(table, list(rows[0]))
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    names = list(rows[0])
    casts = []
    params: dict[str, list[Any]] = {}
    for i, name in enumerate(names):
        column = table.c[name]
        sql_type = column.type.compile(dialect=_PG)
        processor = column.type.bind_processor(_PG)
        values = [row.get(name) for row in rows]
        if processor is not None:
            values = [processor(v) for v in values]
        params[f"p{i}"] = values
        casts.append(f"CAST(:p{i} AS {sql_type}[])")
    columns = ", ".join(f'"{n}"' for n in names)
    conflict = " ON CONFLICT DO NOTHING" if ignore else ""
    sql = (
        f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({", ".join(casts)}){conflict}'
    )
    session.execute(text(sql), params)


def member_of(column: Any, values: Sequence[Any], session: Session) -> Any:
    """``column IN values``, with the values as one array parameter on PostgreSQL.

    An expanding IN of 1,000 values makes the driver parse 1,000 placeholders,
    and ``= ANY(array)`` can make the planner compare every row with every
    value (measured: 0.5 s per 1,000 values against 50,000 rows without
    statistics). ``IN (SELECT unnest(array))`` is a hash semi-join.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import bindparam, func, select
        from sqlalchemy.dialects.postgresql import ARRAY

        array = bindparam(None, value=list(values), type_=ARRAY(column.type))
        return column.in_(select(func.unnest(array)).scalar_subquery())
    return column.in_(list(values))
