"""dbt-duckdb plugin of the `lake` target (profiles.yml): loads the DuckLake and PostgreSQL extensions from their
wheels before dbt-duckdb attaches the lake. dbt-duckdb's own `extensions:` setting would INSTALL them by name, i.e.
download them, which may not happen here (warehouse/lake.py)."""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from warehouse.lake import load_extensions


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        load_extensions(conn)
