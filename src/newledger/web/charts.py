"""Server-side SVG charts for the dashboard and reports.

Pure functions from numbers to SVG markup: no JavaScript, no ``<style>`` element and no ``style``
attribute, so the strict Content-Security-Policy (``style-src 'self'``) never blocks them; colour
and type come from presentation attributes (``fill=``, ``font-size=``), which CSP does not govern.

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and a ``<desc>`` that reads
every value in words, so a screen reader gets the same numbers a sighted user does; each bar also
carries its own ``<title>`` (a hover tooltip). Amounts are integer minor units, formatted with the
currency's digits; pixel geometry is integer arithmetic, so no float ever touches an amount.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from newledger.money import DEFAULT_LOCALE, display_money

__all__ = [
    "PALETTE",
    "bar_chart",
    "horizontal_bar_chart",
    "nice_ceiling",
    "stacked_bar_chart",
]

# Colour-blind-safe (Okabe-Ito) hues, dark enough for white text contrast where it sits on them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
NEGATIVE = "#B23A48"
AXIS = "#6B7280"
LEGEND_ENTRY_WIDTH = 200
TEXT = "#1F2937"
FONT = 'font-family="system-ui, sans-serif"'


def _esc(text: str) -> str:
    return escape(text, quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


# At most this many gridline intervals on each side of zero.
MAX_INTERVALS = 5


def nice_step(value: int, intervals: int = MAX_INTERVALS) -> int:
    """The smallest 1, 2, 2.5 or 5 x 10^k (in minor units) that covers ``value`` in at most
    ``intervals`` steps: a round gridline spacing (0 for 0)."""
    if value <= 0:
        return 0
    raw = -(-value // intervals)  # ceiling division
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for tenths in (10, 20, 25, 50, 100):
        step = tenths * magnitude // 10
        if step >= raw and step * 10 == tenths * magnitude:  # 2.5 only from 10 upwards
            return step
    return 10 * magnitude  # pragma: no cover - 100 tenths always covers raw


def nice_ceiling(value: int) -> int:
    """The axis maximum for ``value``: the first gridline at or above it, so the axis ends
    within one gridline of the largest bar (about 60,000 for 50,000, not 100,000)."""
    step = nice_step(value)
    return 0 if step == 0 else -(-value // step) * step


def _amount(value: int, currency: str, locale: str) -> str:
    return display_money(value, currency, locale)


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>',
    ]


def _chart_id(
    title: str, chart_id: str | None, labels: Sequence[str], values: Sequence[int]
) -> str:
    """The id the chart's title and desc go by, once there is one value per label."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    return chart_id or _slug(title)


def _close(parts: list[str]) -> Markup:
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def _empty(parts: list[str], width: int, height: int, message: str) -> Markup:
    parts.append(
        f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" {FONT} '
        f'font-size="14" fill="{AXIS}">{_esc(message)}</text>'
    )
    return _close(parts)


def _scale(values: Sequence[int]) -> tuple[int, int]:
    """Round axis bounds above and below zero (both >= 0) for non-empty ``values``, on one
    gridline spacing, so the ticks of both sides line up."""
    high, low = max(max(values), 0), max(-min(values), 0)
    step = nice_step(max(high, low))
    if step == 0:
        return 0, 0
    return -(-high // step) * step, -(-low // step) * step


def _ticks(high: int, low: int) -> list[int]:
    """Gridline values from the top of the scale down to its bottom."""
    step = nice_step(max(high, low))
    if step == 0:
        return [0]
    return list(range(high, -low - 1, -step))


def _bar_title(label: str, value: int, currency: str, locale: str) -> str:
    """A bar's own ``<title>``: the hover tooltip with its label and amount."""
    return f"<title>{_esc(label)}: {_esc(_amount(value, currency, locale))}</title>"


def _summary(labels: Sequence[str], values: Sequence[int], currency: str, locale: str) -> str:
    return "; ".join(
        f"{label}: {_amount(v, currency, locale)}" for label, v in zip(labels, values, strict=True)
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    currency: str,
    *,
    chart_id: str | None = None,
    width: int = 640,
    height: int = 260,
    empty_message: str = "Nothing to show yet",
    locale: str = DEFAULT_LOCALE,
) -> Markup:
    """Vertical bars, one per label (expenses by month), over labelled gridlines in whole
    units of ``locale``. Negative values hang below zero."""
    cid = _chart_id(title, chart_id, labels, values)
    parts = _open(
        cid, title, _summary(labels, values, currency, locale) or empty_message, width, height
    )
    if not values or not any(values):
        return _empty(parts, width, height, empty_message)

    left, right, top, bottom = 80, 12, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    high, low = _scale(values)
    span = high + low
    zero_y = top + plot_h * high // span

    def y_of(v: int) -> int:
        return top + plot_h * (high - v) // span

    # A labelled gridline at every step, from the top of the scale to its bottom.
    for tick in _ticks(high, low):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="{AXIS}" '
            f'stroke-width="{1 if tick == 0 else 0.5}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" {FONT} font-size="11" '
            f'fill="{AXIS}">{_esc(display_money(tick, currency, locale, whole=True))}</text>'
        )
    slot = plot_w // len(values)
    bar_w = max(2, slot * 7 // 10)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * slot + (slot - bar_w) // 2
        y_top, y_bottom = (y_of(value), zero_y) if value >= 0 else (zero_y, y_of(value))
        fill = PALETTE[0] if value >= 0 else NEGATIVE
        parts.append(
            f'<rect class="bar" x="{x}" y="{y_top}" width="{bar_w}" '
            f'height="{max(y_bottom - y_top, 1 if value else 0)}" fill="{fill}">'
            f"{_bar_title(label, value, currency, locale)}</rect>"
        )
        parts.append(
            f'<text x="{x + bar_w // 2}" y="{height - bottom + 16}" text-anchor="middle" '
            f'{FONT} font-size="11" fill="{TEXT}">{_esc(label)}</text>'
        )
    return _close(parts)


def horizontal_bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    currency: str,
    *,
    chart_id: str | None = None,
    width: int = 640,
    row_height: int = 34,
    empty_message: str = "Nothing to show yet",
    locale: str = DEFAULT_LOCALE,
) -> Markup:
    """One horizontal bar per label (cash per bank account), negatives left of zero in red."""
    cid = _chart_id(title, chart_id, labels, values)
    height = max(80, 24 + row_height * len(values))
    parts = _open(
        cid, title, _summary(labels, values, currency, locale) or empty_message, width, height
    )
    if not values:
        return _empty(parts, width, height, empty_message)

    left, right, top = 170, 130, 12
    plot_w = width - left - right
    high, low = _scale(values)
    span = (high + low) or 1
    zero_x = left + plot_w * low // span
    parts.append(
        f'<line x1="{zero_x}" y1="{top - 4}" x2="{zero_x}" y2="{height - 8}" stroke="{AXIS}" '
        'stroke-width="1"/>'
    )
    bar_h = row_height * 6 // 10
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row_height
        length = plot_w * abs(value) // span
        x = zero_x if value >= 0 else zero_x - length
        fill = PALETTE[i % len(PALETTE)] if value >= 0 else NEGATIVE
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_h - 6}" text-anchor="end" {FONT} '
            f'font-size="12" fill="{TEXT}">{_esc(label)}</text>'
        )
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{max(length, 1 if value else 0)}" '
            f'height="{bar_h}" fill="{fill}">'
            f"{_bar_title(label, value, currency, locale)}</rect>"
        )
        parts.append(
            f'<text x="{width - right + 8}" y="{y + bar_h - 6}" {FONT} font-size="12" '
            f'fill="{TEXT}">{_esc(_amount(value, currency, locale))}</text>'
        )
    return _close(parts)


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    currency: str,
    *,
    chart_id: str | None = None,
    width: int = 640,
    empty_message: str = "Nothing outstanding",
    locale: str = DEFAULT_LOCALE,
) -> Markup:
    """One bar split into segments (AR aging buckets) with a legend giving each amount.

    Segments are drawn in proportion to their share of the total; negative amounts (credits)
    cannot be stacked meaningfully, so they count as zero in the bar but keep their legend value.
    """
    cid = _chart_id(title, chart_id, labels, values)
    # A legend entry ("1-30 days: $12,345.67") needs about 200 px: fewer columns when narrow.
    columns = max(1, min(3, (width - 24) // LEGEND_ENTRY_WIDTH))
    legend_rows = (len(labels) + columns - 1) // columns
    height = 64 + 22 * legend_rows
    total = sum(values)
    desc = _summary(labels, values, currency, locale)
    if labels:
        desc += f"; total: {_amount(total, currency, locale)}"
    parts = _open(cid, title, desc, width, height)
    positive = [max(v, 0) for v in values]
    whole = sum(positive)
    if whole == 0:
        return _empty(parts, width, height, empty_message)

    left, right, top, bar_h = 12, 12, 12, 28
    plot_w = width - left - right
    x = left
    running = 0
    for i, (label, value) in enumerate(zip(labels, positive, strict=True)):
        if value == 0:
            continue
        # Cumulative rounding so the segments always fill the bar exactly.
        running += value
        end = left + plot_w * running // whole
        parts.append(
            f'<rect class="segment" x="{x}" y="{top}" width="{end - x}" height="{bar_h}" '
            f'fill="{PALETTE[i % len(PALETTE)]}">'
            f"{_bar_title(label, values[i], currency, locale)}</rect>"
        )
        x = end
    col_w = plot_w // columns
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        lx = left + (i % columns) * col_w
        ly = top + bar_h + 18 + (i // columns) * 22
        parts.append(
            f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        parts.append(
            f'<text x="{lx + 18}" y="{ly}" {FONT} font-size="12" fill="{TEXT}">'
            f"{_esc(label)}: {_esc(_amount(value, currency, locale))}</text>"
        )
    return _close(parts)
