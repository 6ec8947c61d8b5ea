"""Charts as inline SVG drawn on the server: they work offline, need no script, and show only numbers
the archive computed (no portal text goes into them)."""
from __future__ import annotations

from markupsafe import Markup, escape

OUTCOMES = [("3.1", "予以公开", "#2e7d32"), ("3.2", "部分公开", "#81c784"), ("3.3", "不予公开", "#c62828"),
            ("3.4", "无法提供", "#ef6c00"), ("3.5", "不予处理", "#8d6e63"), ("3.6", "其他处理", "#78909c")]


def _by_year(series: list[dict]) -> dict[int, dict[str, float]]:
    years: dict[int, dict[str, float]] = {}
    for row in series:
        years.setdefault(int(row["year"]), {})[row["row_code"]] = row["value"] or 0
    return dict(sorted(years.items()))


def _group(codes: dict[str, float], prefix: str) -> float:
    return sum(v for code, v in codes.items() if code == prefix or code.startswith(prefix + "."))


def _frame(bars: list[tuple[str, list[tuple[float, str, str]]]], title: str) -> Markup:
    """Stacked bars: [(label, [(value, colour, name)])]."""
    if not bars:
        return Markup("<p>暂无数据 No data</p>")
    width, height, left, bottom = 640, 260, 50, 30
    top = max(sum(v for v, _, _ in stack) for _, stack in bars) or 1
    step = (width - left) / len(bars)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 20}" role="img" '
             f'class="nianbao-chart"><title>{escape(title)}</title>',
             f'<text x="{left}" y="12" font-size="12">{escape(title)}</text>',
             f'<text x="4" y="{30}" font-size="10">{top:g}</text>']
    for i, (label, stack) in enumerate(bars):
        x, y = left + i * step + step * 0.15, height - bottom
        for value, colour, name in stack:
            h = (height - bottom - 20) * value / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{escape(label)} {escape(name)}: {value:g}</title></rect>")
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 14}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def received_chart(series: list[dict]) -> Markup:
    years = _by_year(series)
    return _frame([(str(y), [(codes.get("1", 0), "#1565c0", "本年新收申请")]) for y, codes in years.items()],
                  "本年新收政府信息公开申请数量 Applications received")


def outcomes_chart(series: list[dict]) -> Markup:
    years = _by_year(series)
    bars = [(str(y), [(_group(codes, code), colour, name) for code, name, colour in OUTCOMES]) for y, codes in years.items()]
    legend = " ".join(f'<span style="color:{c}">■</span> {n}' for _, n, c in OUTCOMES)
    return Markup(_frame(bars, "办理结果 Outcomes") + Markup(f'<p class="legend">{legend}</p>'))
