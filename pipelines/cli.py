"""The `hoso` command line (placeholder until the commands land)."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("hoso: no commands yet", file=sys.stderr)
    return 2
