"""Storage errors and the translation of driver errors at the boundary."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)


class StorageError(Exception):
    """Base class of storage errors; each carries a ``code`` and ``title``."""

    code: ClassVar[str] = "storage-error"
    title: ClassVar[str] = "Storage error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(StorageError):
    """The thing asked for does not exist."""

    code = "not-found"
    title = "Not found"


class ConflictError(StorageError):
    """The write collides with existing data (a duplicate code, a child left behind)."""

    code = "conflict"
    title = "Conflict"


class PreconditionFailedError(StorageError):
    """``If-Match`` named a version that is no longer current."""

    code = "precondition-failed"
    title = "Precondition failed"

    def __init__(self, detail: str, *, current_version: int, updated_by: str | None) -> None:
        super().__init__(detail)
        self.current_version = current_version
        self.updated_by = updated_by


class ValueRefusedError(StorageError):
    """The database refused a value (out of range for its column)."""

    code = "value-out-of-range"
    title = "Value out of range"


class StorageUnavailableError(StorageError):
    """The database cannot be reached or refused the operation."""

    code = "storage-unavailable"
    title = "Storage unavailable"


@contextmanager
def translate_db_errors() -> Iterator[None]:
    """Turn SQLAlchemy/driver errors into storage errors.

    Driver messages can contain SQL and data, so they are logged, never sent.
    """
    try:
        yield
    except sa_exc.IntegrityError as exc:
        log.info("integrity error: %s", exc.orig)
        raise ConflictError("The write conflicts with existing data.") from exc
    except (sa_exc.DataError, OverflowError) as exc:
        log.info("value refused by the database: %s", type(exc).__name__)
        raise ValueRefusedError("A value is out of range for the database.") from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        log.error("database unavailable", exc_info=exc)
        raise StorageUnavailableError("The database is unavailable.") from exc
