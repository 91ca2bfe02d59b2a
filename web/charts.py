"""Tiny server-rendered SVG charts (no JavaScript, no CDN): a line chart and a stacked bar chart.

Each chart is decorative next to the table of its numbers, which is what screen readers use.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

W, H = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 40, 34
COLORS = ("#2457c5", "#b3261e", "#9a6700", "#1b7f3b", "#6b3fa0")


def _scale(lo: float, hi: float) -> tuple[float, float]:
    if hi == lo:
        pad = abs(hi) * 0.05 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.1
    return lo - pad, hi + pad


def _frame(title: str, body: list[str], labels: list[str]) -> Markup:
    plot_w = W - LEFT - RIGHT
    step = plot_w / max(len(labels), 1)
    every = max(1, len(labels) // 8 + (1 if len(labels) % 8 else 0))
    ticks = [f'<text x="{LEFT + step * (i + 0.5):.1f}" y="{H - 12}" text-anchor="middle">'
             f"{escape(label)}</text>" for i, label in enumerate(labels) if i % every == 0]
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
        f'aria-label="{escape(title)} (numbers in the table below)" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<text x="{LEFT}" y="16" font-weight="600">{escape(title)}</text>'
        f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" '
        f'stroke="#d8dde5"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" '
        f'stroke="#d8dde5"/>' + "".join(ticks) + "".join(body) + "</svg>")


def _y_axis(lo: float, hi: float, y: object) -> list[str]:
    out = []
    for value in (lo, (lo + hi) / 2, hi):
        out.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'  # type: ignore[operator]
                   f"{value:.4g}</text>")
    return out


def line_chart(title: str, labels: list[str], values: list[float | None],
               target: float | None = None) -> Markup:
    """A line over the points that have values, with an optional dashed target line."""
    known = [v for v in values if v is not None]
    if not known:
        return _frame(title, [f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">'
                              "no data yet</text>"], labels)
    lo, hi = _scale(min(known + ([target] if target is not None else [])),
                    max(known + ([target] if target is not None else [])))
    step = (W - LEFT - RIGHT) / max(len(values), 1)

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - (v - lo) / (hi - lo))

    body = _y_axis(lo, hi, y)
    if target is not None:
        body.append(f'<line class="target" x1="{LEFT}" y1="{y(target):.1f}" x2="{W - RIGHT}" '
                    f'y2="{y(target):.1f}" stroke="#1b7f3b" stroke-dasharray="5 4"/>')
    points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
    body.append('<polyline fill="none" stroke="#2457c5" stroke-width="2" points="'
                + " ".join(f"{px:.1f},{py:.1f}" for px, py in points) + '"/>')
    body += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#2457c5"/>' for px, py in points]
    return _frame(title, body, labels)


def bar_chart(title: str, labels: list[str], series: dict[str, list[float]],
              stacked: bool = True) -> Markup:
    """Bars, one colour per series (stacked, or side by side), with a legend."""
    heights = [sum(s[i] or 0 for s in series.values()) if stacked else max(
        [s[i] or 0 for s in series.values()] + [0]) for i in range(len(labels))]
    top = max(heights + [1])
    step = (W - LEFT - RIGHT) / max(len(labels), 1)
    width = max(step * 0.6, 2) if stacked else max(step * 0.7 / max(len(series), 1), 2)

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - v / top)

    body = _y_axis(0, top, y)
    for i in range(len(labels)):
        base, left = 0.0, LEFT + step * i + (step - (width if stacked else width * len(
            series))) / 2
        for n, values in enumerate(series.values()):
            value = values[i] or 0
            if value:
                body.append(f'<rect x="{left:.1f}" y="{y(base + value):.1f}" '
                            f'width="{width:.1f}" height="{y(base) - y(base + value):.1f}" '
                            f'fill="{COLORS[n % len(COLORS)]}"/>')
            if stacked:
                base += value
            else:
                left += width
    legend_x = LEFT
    for n, name in enumerate(series):
        body.append(f'<rect x="{legend_x}" y="23" width="10" height="10" '
                    f'fill="{COLORS[n % len(COLORS)]}"/><text x="{legend_x + 13}" y="32">'
                    f"{escape(name)}</text>")
        legend_x += 12 + 7 * len(name) + 14
    return _frame(title, body, labels)
