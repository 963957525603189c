"""reports: the static HTML report of the analytics snapshot (reports.html.render_report) and its SVG charts
(reports.charts). Reads the snapshot only; writes one self-contained page that works offline.

    python -m reports [ANALYTICS_DB] [OUT_HTML]     (defaults: $HOSO_ANALYTICS_DB or data/analytics.duckdb,
                                                     data/report.html)
"""
