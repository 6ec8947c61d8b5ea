"""Charts as inline SVG drawn on the server: they work offline, need no script, and show only numbers
the archive computed (no portal text goes into them). Each has a y axis with its unit and ticks, the year
under each bar, the total over it, a legend saying what each series is, and the numbers again as a table."""
from __future__ import annotations

import math

from markupsafe import Markup, escape

OUTCOMES = [("3.1", "予以公开", "#2e7d32"), ("3.2", "部分公开", "#81c784"), ("3.3", "不予公开", "#c62828"),
            ("3.4", "无法提供", "#ef6c00"), ("3.5", "不予处理", "#8d6e63"), ("3.6", "其他处理", "#78909c")]
RECEIVED = ("1", "本年新收申请", "#1565c0")


def _by_year(series: list[dict]) -> dict[int, dict[str, float]]:
    years: dict[int, dict[str, float]] = {}
    for row in series:
        years.setdefault(int(row["year"]), {})[row["row_code"]] = row["value"] or 0
    return dict(sorted(years.items()))


def _group(codes: dict[str, float], prefix: str) -> float:
    """A result row over the year's reports: the row and its sub-rows (3.3 = 3.3.1 … 3.3.8; the 2019 format
    prints 3.6 whole, the 2021 format as 3.6.1 … 3.6.3, and a year may have reports in both)."""
    return sum(v for code, v in codes.items() if code == prefix or code.startswith(prefix + "."))


def _ticks(top: float) -> list[float]:
    """Round tick values from 0 to at least top."""
    if top <= 0:
        return [0, 1]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = math.ceil(top / step)
    return [i * step for i in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(bars: list[tuple[str, list[float]]], series: list[tuple[str, str]], title: str, unit: str,
              x_label: str = "报告年度 Report year", numbers_open: bool = False) -> Markup:
    """Stacked bars, one per label: bars = [(label, [value per series])], series = [(name, colour)]."""
    if not bars:
        return Markup('<p class="nb-empty">暂无数据：档案中还没有可用的统计表数字。 No data yet.</p>')
    width, height = 640, 300
    left, right, top_pad, bottom = 64, 12, 34, 46
    plot_h = height - top_pad - bottom
    plot_w = width - left - right
    totals = [sum(values) for _, values in bars]
    ticks = _ticks(max(totals) or 0)
    top = ticks[-1] or 1
    step = plot_w / len(bars)
    bar_w = min(step * 0.6, 80)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="nianbao-chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="{left}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for tick in ticks:  # y axis: gridlines and values
        y = top_pad + plot_h * (1 - tick / top)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_number(tick)}</text>')
    base = top_pad + plot_h
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top_pad}" y2="{base}" stroke="#333"/>'
                 f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="#333"/>')
    parts.append(f'<text x="14" y="{top_pad + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top_pad + plot_h / 2:.1f})">{escape(unit)}</text>')
    for i, (label, values) in enumerate(bars):
        x = left + i * step + (step - bar_w) / 2
        y = top_pad + plot_h
        for value, (name, colour) in zip(values, series):
            h = plot_h * value / top
            y -= h
            if h > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                             f"<title>{escape(label)} {escape(name)}：{_number(value)}</title></rect>")
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
                     f'class="total">{_number(totals[i])}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top_pad + plot_h + 16}" font-size="12" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="11" text-anchor="middle">'
                 f'{escape(x_label)}</text></svg>')
    legend = "".join(f'<li><span class="swatch" style="background:{colour}"></span>{escape(name)}</li>'
                     for name, colour in series)
    head = "".join(f"<th>{escape(name)}</th>" for name, _ in series) + ("<th>合计 Total</th>" if len(series) > 1 else "")
    rows = "".join(f"<tr><th>{escape(label)}</th>" + "".join(f'<td class="v">{_number(v)}</td>' for v in values)
                   + (f'<td class="v">{_number(totals[i])}</td>' if len(series) > 1 else "") + "</tr>"
                   for i, (label, values) in enumerate(bars))
    table = (f'<details class="chart-data"{" open" if numbers_open else ""}><summary>数据表 The numbers</summary>'
             f'<div class="nb-scroll"><table class="nb"><tr><th>年度 Year</th>{head}</tr>{rows}</table></div></details>')
    return Markup(f'<figure class="chart">{"".join(parts)}<figcaption><ul class="legend">{legend}</ul>'
                  f'</figcaption>{table}</figure>')


def received_chart(series: list[dict], numbers_open: bool = False) -> Markup:
    years = _by_year(series)
    return bar_chart([(str(y), [codes.get(RECEIVED[0], 0)]) for y, codes in years.items()],
                     [(f"{RECEIVED[1]}（表三第一项，总计列）", RECEIVED[2])],
                     "本年新收政府信息公开申请数量 Applications received", "件 applications", numbers_open=numbers_open)


def outcomes_chart(series: list[dict], numbers_open: bool = False) -> Markup:
    years = _by_year(series)
    bars = [(str(y), [_group(codes, code) for code, _, _ in OUTCOMES]) for y, codes in years.items()]
    return bar_chart(bars, [(f"{name}（{code}）", colour) for code, name, colour in OUTCOMES],
                     "办理结果 Outcomes of the applications", "件 applications", numbers_open=numbers_open)
