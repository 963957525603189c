"""An analyst during a pipeline run, in one of two modes: `held` opens the snapshot read-only once and queries it in
a loop; `fresh` opens a new read-only connection for every query (the way `duckdb -readonly` or `hoso report`
would). Two processes, because DuckDB shares one database instance between the connections of a process that open
the same path. Every answer, or error, is one JSON line.

    python analyst.py held|fresh <analytics.duckdb> <out.jsonl> <stop-file>
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

# One statement, so one consistent read: the headline by level and the dossier counts behind it.
QUERY = """
SELECT (SELECT list((level_key, received, online, returned, online_ratio_pct::VARCHAR) ORDER BY level_key)
        FROM marts.online_ratio_by_level WHERE is_home)::VARCHAR,
       (SELECT count(*) FROM marts.fct_case_files),
       (SELECT count(*) FILTER (WHERE counted) FROM marts.fct_case_files)
"""


def main(mode: str, db: str, out: str, stop: str) -> None:
    held = duckdb.connect(db, read_only=True) if mode == "held" else None

    def ask():
        if held is not None:
            return held.execute(QUERY).fetchone()
        con = duckdb.connect(db, read_only=True)
        try:
            return con.execute(QUERY).fetchone()
        finally:
            con.close()

    with open(out, "w", encoding="utf-8") as fh:
        while not Path(stop).exists():
            t = time.time()
            try:
                line = {"t": t, "mode": mode, "answer": list(ask())}
            except Exception as exc:  # a failed query is what the test looks for
                line = {"t": t, "mode": mode, "error": f"{type(exc).__name__}: {exc}"}
            fh.write(json.dumps(line) + "\n")
            fh.flush()
            time.sleep(0.05)
    if held is not None:
        held.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
