"""Run tags that say what a run covers, set at launch by the sensor and the `hoso` command line (the load's
materialization metadata lists what it actually loaded)."""


def files_tag(names: list[str], shown: int = 3, limit: int = 200) -> str:
    """A run tag naming a list of files: the count and the first few names, short enough for the runs table."""
    if not names:
        return "0"
    head = ", ".join(names[:shown])
    text = f"{len(names)}: {head}" + (f", +{len(names) - shown} more" if len(names) > shown else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
