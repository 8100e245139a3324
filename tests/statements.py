"""The SQL statements an action sends, for tests that count round trips or look for a SAVEPOINT."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event


@contextmanager
def statements_sent(engine) -> Iterator[list[str]]:  # noqa: ANN001
    """Yields the list that fills with each statement `engine` sends until the block ends."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):  # noqa: ANN001, ANN202
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
