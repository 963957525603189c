"""python -m reports [ANALYTICS_DB] [OUT_HTML]: write the static HTML report of the analytics snapshot."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reports.html import render_report


def main(argv: list[str]) -> int:
    if len(argv) > 2 or any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    db = Path(argv[0]) if argv else Path(os.environ.get("HOSO_ANALYTICS_DB", "data/analytics.duckdb"))
    out = Path(argv[1]) if len(argv) > 1 else db.with_name("report.html")
    try:
        path = render_report(db, out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
