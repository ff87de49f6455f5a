"""Storage: one SQL implementation over SQLite (default) and PostGIS."""

from service.storage.errors import (
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    StorageError,
    StorageUnavailableError,
)
from service.storage.store import Store, Tx

__all__ = [
    "ConflictError",
    "NotFoundError",
    "PreconditionFailedError",
    "StorageError",
    "StorageUnavailableError",
    "Store",
    "Tx",
]
