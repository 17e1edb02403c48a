"""The only code that writes SQL: schema, migrations, queries, FTS, transactions."""

from tui.store.db import ConflictError, SchemaTooNewError, Store, StoreError, connect, transaction

__all__ = ["ConflictError", "SchemaTooNewError", "Store", "StoreError", "connect", "transaction"]
