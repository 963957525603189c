"""Small SVG charts for the static HTML report: horizontal bars, grouped columns, lines.

Each function returns one `<svg>` element as text, sized by a viewBox (it scales to the page width) and named for
screen readers (role="img", a <title>). No script, no external resource, no plotting library: the charts are a few
rectangles, lines and labels, and the text inherits the page's font. Every text value is escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Callable, Sequence

# Colours (blue / orange is readable for the common colour-vision deficiencies; a highlighted bar also differs in
# its label, never by colour alone).
BLUE = "#2563eb"
BLUE_LIGHT = "#93c5fd"
GREY = "#94a3b8"
ORANGE = "#ea580c"
RED = "#dc2626"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"

FONT_SIZE = 12


def vn_number(v: float, decimals: int = 0) -> str:
    """A number as Vietnamese readers write it: "." between thousands, "," before the decimals (224.930; 72,35)."""
    text = f"{v:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def tick_text(t: float, suffix: str = "") -> str:
    """An axis tick: no trailing zeros, Vietnamese separators (2,5; 1.000)."""
    decimals = 0 if float(t) == int(t) else len(f"{t:g}".split(".")[-1])
    return vn_number(t, decimals) + suffix


def text_width(s: str, size: int = FONT_SIZE) -> float:
    """A generous estimate of the width of `s` in the page's sans-serif font (no font metrics without a browser)."""
    return 0.62 * size * len(s)


def _num(v: float) -> str:
    """A coordinate, short."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def _text(x: float, y: float, s: str, *, anchor: str = "start", size: int = FONT_SIZE, fill: str = INK,
          weight: str | None = None, cls: str | None = None) -> str:
    attrs = f'x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if cls:
        attrs += f' class="{escape(cls)}"'
    return f"<text {attrs}>{escape(s)}</text>"


def _svg(width: float, height: float, title: str, body: list[str], cls: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(cls)}" role="img" '
            f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _truncate(s: str, max_chars: int) -> str:
    return s if len(s) <= max_chars else s[: max_chars - 1] + "…"


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    step = (hi - lo) / n
    return [lo + i * step for i in range(n + 1)]


def value_axis(vmax: float, *, integer: bool = False) -> tuple[float, list[float]]:
    """(axis maximum, ticks) for values in [0, vmax]: at most 5 intervals of a round step (1, 2, 2.5, 5 x 10^k);
    whole-number steps when the values are counts."""
    vmax = max(vmax, 1.0 if integer else 1e-9)
    raw = vmax / 5
    exp = 10 ** math.floor(math.log10(raw))
    step = 10 * exp
    for m in ((1, 2, 5) if integer else (1, 2, 2.5, 5)):
        if m * exp >= raw:
            step = m * exp
            break
    if integer:
        step = max(1.0, round(step))
    top = step * math.ceil(vmax / step - 1e-9)
    return top, [i * step for i in range(int(round(top / step)) + 1)]


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float | None
    value_text: str
    color: str = BLUE
    css_class: str = ""
    bold: bool = False


def hbar_chart(rows: Sequence[BarRow], *, title: str, x_max: float = 100.0, target: float | None = None,
               target_label: str = "", axis_suffix: str = "%", width: int = 980, label_width: int = 240,
               value_width: int = 140, row_height: int = 20, empty_text: str = "—") -> str:
    """Horizontal bars, one row per item in the given order, with an optional vertical target line."""
    top, bottom = 30 if target is None else 46, 10
    x0, x1 = label_width, width - value_width
    height = top + row_height * max(len(rows), 1) + bottom

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * max(0.0, min(v, x_max)) / x_max

    body = []
    for t in _ticks(0, x_max):
        x = sx(t)
        body.append(f'<line x1="{_num(x)}" y1="{top - 6}" x2="{_num(x)}" y2="{_num(height - bottom)}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(x, top - 10, tick_text(t, axis_suffix), anchor="middle", size=11, fill=MUTED))
    bar_h = row_height * 0.68
    # A value label that would cross the target line starts just after it instead.
    target_x = None if target is None else sx(target)
    labels = []  # drawn last, over the bars and the target line
    for i, r in enumerate(rows):
        y = top + i * row_height
        cy = y + row_height / 2 + 4
        cls = "bar" + (f" {r.css_class}" if r.css_class else "")
        labels.append(_text(x0 - 8, cy, _truncate(r.label, label_width // 7), anchor="end",
                            weight="bold" if r.bold else None, cls="bar-label"))
        if r.value is None:
            labels.append(_text(x0 + 4, cy, r.value_text or empty_text, fill=MUTED, cls="bar-value"))
            continue
        w = sx(r.value) - x0
        body.append(f'<rect class="{escape(cls)}" x="{_num(x0)}" y="{_num(y + (row_height - bar_h) / 2)}" '
                    f'width="{_num(max(w, 0.5))}" height="{_num(bar_h)}" fill="{r.color}">'
                    f"<title>{escape(r.label)}: {escape(r.value_text)}</title></rect>")
        lx = x0 + w + 6
        if target_x is not None and lx - 4 <= target_x <= lx + text_width(r.value_text) + 4:
            lx = target_x + 6
        labels.append(_text(lx, cy, r.value_text, weight="bold" if r.bold else None, cls="bar-value"))
    if target is not None:
        x = sx(target)
        body.append(f'<line class="target-line" x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" '
                    f'y2="{_num(height - bottom + 4)}" stroke="{RED}" stroke-width="1.5" stroke-dasharray="5 3"/>')
        body.append(_text(x, 14, target_label, anchor="middle", size=11, fill=RED, weight="bold"))
    # A white halo keeps a value readable where it crosses the target line.
    body.append(f'<g stroke="#fff" stroke-width="3" paint-order="stroke" stroke-linejoin="round">{"".join(labels)}</g>')
    return _svg(width, height, title, body, "hbar")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str = BLUE
    stroke_width: float = 2.0
    dots: bool = False
    dashed: bool = False
    labels: Sequence[str] | None = None  # value labels (columns), one per category
    emphasis: bool = False


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    out = []
    for s in series:
        out.append(f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="12" height="10" fill="{s.color}"/>')
        out.append(_text(x + 16, y, s.name, size=11, weight="bold" if s.emphasis else None))
        x += 22 + 6.6 * len(s.name)
    return out


def column_chart(categories: Sequence[str], series: Sequence[Series], *, title: str, y_max: float | None = None,
                 axis_suffix: str = "", integer: bool = False, width: int = 980, height: int = 300,
                 category_class: Callable[[int], str] | None = None, category_color: Callable[[int], str] | None = None,
                 reference: float | None = None, reference_label: str = "", label_every: int = 1) -> str:
    """Vertical grouped columns: one group per category, one column per series; value labels above the columns
    (a series' `labels`, "" for none); an optional horizontal reference line, its label in the top margin so that
    no column or value label can cover it; category labels on every `label_every`-th category."""
    left, right, top, bottom = 46, 12, 36, 44
    values = [v for s in series for v in s.values if v is not None]
    if y_max is None:
        y_max, ticks = value_axis(max(values, default=1), integer=integer)
    else:
        ticks = _ticks(0, y_max)
    x0, x1, y0, y1 = left, width - right, height - bottom, top

    def sy(v: float) -> float:
        return y0 - (y0 - y1) * max(0.0, min(v, y_max)) / y_max

    body = _legend(series, left, 16)
    for t in ticks:
        y = sy(t)
        body.append(f'<line x1="{x0}" y1="{_num(y)}" x2="{x1}" y2="{_num(y)}" stroke="{GRID}"/>')
        body.append(_text(x0 - 6, y + 4, tick_text(t, axis_suffix), anchor="end", size=11, fill=MUTED))
    n = max(len(categories), 1)
    group_w = (x1 - x0) / n
    col_w = min(56.0, group_w * 0.8 / max(len(series), 1))
    for i, cat in enumerate(categories):
        gx = x0 + i * group_w + (group_w - col_w * len(series)) / 2
        cls = category_class(i) if category_class else ""
        for j, s in enumerate(series):
            v = s.values[i]
            if v is None:
                continue
            x = gx + j * col_w
            body.append(f'<rect class="bar{(" " + escape(cls)) if cls else ""}" x="{_num(x + 1)}" y="{_num(sy(v))}" '
                        f'width="{_num(col_w - 2)}" height="{_num(y0 - sy(v))}" fill="{s.color}">'
                        f"<title>{escape(cat)} — {escape(s.name)}: "
                        f"{escape(s.labels[i] if s.labels and s.labels[i] else tick_text(v))}</title></rect>")
            label = s.labels[i] if s.labels else tick_text(v)
            if label:
                body.append(_text(x + col_w / 2, sy(v) - 4, label, anchor="middle", size=11,
                                  weight="bold" if s.emphasis else None))
        if i % max(label_every, 1) == 0:
            color = category_color(i) if category_color else INK
            body.append(_text(x0 + (i + 0.5) * group_w, y0 + 18, cat, anchor="middle", fill=color, cls="category",
                              size=FONT_SIZE if label_every == 1 else 11))
    body.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="{MUTED}"/>')
    if reference is not None:
        y = sy(reference)
        body.append(f'<line class="target-line" x1="{x0}" y1="{_num(y)}" x2="{x1}" y2="{_num(y)}" stroke="{RED}" '
                    f'stroke-width="1.5" stroke-dasharray="5 3"/>')
        body.append(_text(x1, 16, f"- - {reference_label}", anchor="end", size=11, fill=RED, weight="bold"))
    return _svg(width, height, title, body, "columns")


def line_chart(x_labels: Sequence[str], series: Sequence[Series], *, title: str, y_min: float = 0.0,
               y_max: float = 100.0, axis_suffix: str = "%", width: int = 980, height: int = 320,
               max_x_ticks: int = 12, reference: float | None = None, reference_label: str = "",
               empty: Sequence[int] = (), empty_label: str = "0") -> str:
    """Lines over evenly spaced x positions (e.g. days); a gap where a value is missing. Positions in `empty` (e.g.
    days without any dossier, where a ratio does not exist) are drawn as such: a shaded band with `empty_label` at
    its foot, so that they do not read as missing data. A reference line's label goes in the top margin."""
    left, right, top, bottom = 46, 16, 36, 40
    x0, x1, y0, y1 = left, width - right, height - bottom, top
    n = len(x_labels)

    def sx(i: int) -> float:
        return x0 + (x1 - x0) * (i / (n - 1) if n > 1 else 0.5)

    def sy(v: float) -> float:
        return y0 - (y0 - y1) * (max(y_min, min(v, y_max)) - y_min) / (y_max - y_min)

    body = _legend(series, left, 16)
    span = y_max - y_min
    y_step = next((st for st in (1, 2, 5, 10, 20, 25, 50) if span / st <= 6), span / 4)
    for k in range(int(span / y_step + 1e-9) + 1):
        t = y_min + k * y_step
        y = sy(t)
        body.append(f'<line x1="{x0}" y1="{_num(y)}" x2="{x1}" y2="{_num(y)}" stroke="{GRID}"/>')
        body.append(_text(x0 - 6, y + 4, tick_text(t, axis_suffix), anchor="end", size=11, fill=MUTED))
    slot = (x1 - x0) / max(n - 1, 1)
    for i in empty:
        body.append(f'<rect class="empty-day" x="{_num(sx(i) - slot / 2)}" y="{y1}" width="{_num(slot)}" '
                    f'height="{_num(y0 - y1)}" fill="{GRID}" opacity="0.7"><title>{escape(x_labels[i])}: '
                    f"{escape(empty_label)}</title></rect>")
        body.append(_text(sx(i), y0 - 5, empty_label, anchor="middle", size=10, fill=MUTED, cls="empty-day-label"))
    step = max(1, math.ceil(n / max_x_ticks))
    for i in range(0, n, step):
        body.append(f'<line x1="{_num(sx(i))}" y1="{y0}" x2="{_num(sx(i))}" y2="{y0 + 4}" stroke="{MUTED}"/>')
        body.append(_text(sx(i), y0 + 18, x_labels[i], anchor="middle", size=11, fill=MUTED))
    body.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="{MUTED}"/>')
    if reference is not None:
        y = sy(reference)
        body.append(f'<line class="target-line" x1="{x0}" y1="{_num(y)}" x2="{x1}" y2="{_num(y)}" stroke="{RED}" '
                    f'stroke-width="1.2" stroke-dasharray="5 3"/>')
        body.append(_text(x1, 16, f"- - {reference_label}", anchor="end", size=11, fill=RED))
    for s in series:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{_num(sx(i))},{_num(sy(v))}")
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        for run in runs:
            if len(run) > 1:
                body.append(f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="{s.color}" '
                            f'stroke-width="{_num(s.stroke_width)}" stroke-linejoin="round"{dash}/>')
        if s.dots:
            for i, v in enumerate(s.values):
                if v is not None:
                    body.append(f'<circle cx="{_num(sx(i))}" cy="{_num(sy(v))}" r="2.5" fill="{s.color}">'
                                f"<title>{escape(x_labels[i])} — {escape(s.name)}: "
                                f"{escape(vn_number(v, 2))}{axis_suffix}</title>"
                                "</circle>")
    return _svg(width, height, title, body, "line")


__all__ = ["BarRow", "Series", "hbar_chart", "column_chart", "line_chart", "value_axis", "vn_number", "tick_text",
           "BLUE", "BLUE_LIGHT", "GREY", "ORANGE", "RED", "INK", "MUTED"]
