"""The latency chart of a site, drawn on the server as SVG (no JavaScript, nothing fetched).

``latency_chart(rows, start=…, end=…)`` takes the checks of the period as ``(checked_at, latency_ms, down)``
tuples in time order and returns what ``monitoring/includes/latency_chart.html`` draws: at most
``MAX_POINTS`` points (the period cut into that many equal buckets, each showing its slowest check, so
that spikes survive), the line broken where the site was down or where no check ran for more than three
times the usual spacing, and the down periods shaded.
"""

from dataclasses import dataclass, field

MAX_POINTS = 300
WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 8, 22  # margins for the axis labels


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    lines: list = field(default_factory=list)  # "x,y x,y …" polyline point lists
    dots: list = field(default_factory=list)  # (x, y) of isolated points (a line needs two)
    down: list = field(default_factory=list)  # (x, width) shaded rectangles
    y_ticks: list = field(default_factory=list)  # (y, label in ms)
    x_ticks: list = field(default_factory=list)  # (x, datetime)
    peak_ms: int = 0
    points: int = 0  # buckets drawn
    checks: int = 0  # checks read
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self):
        return self.checks == 0


def _nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 × 10^n not below ``value`` (the top of the y axis)."""
    if value <= 0:
        return 100
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude


def latency_chart(rows, *, start, end, max_points=MAX_POINTS, x_ticks=4):
    chart = Chart()
    span = (end - start).total_seconds()
    if span <= 0:
        return chart
    buckets = [None] * max_points  # None: no check; else [slowest latency or None, any down]
    for checked_at, latency_ms, down in rows:
        chart.checks += 1
        index = int((checked_at - start).total_seconds() / span * max_points)
        if not 0 <= index < max_points:
            continue
        bucket = buckets[index]
        if bucket is None:
            bucket = buckets[index] = [None, False]
        if down:
            bucket[1] = True
        elif latency_ms is not None and (bucket[0] is None or latency_ms > bucket[0]):
            bucket[0] = latency_ms
    peak = max((b[0] for b in buckets if b is not None and b[0] is not None), default=0)
    chart.peak_ms = peak
    top = _nice_ceiling(peak)
    plot_width = chart.plot_right - chart.plot_left
    plot_height = chart.plot_bottom - chart.plot_top
    step = plot_width / max_points

    def x_of(index):
        return round(chart.plot_left + (index + 0.5) * step, 1)

    def y_of(ms):
        return round(chart.plot_bottom - min(ms, top) / top * plot_height, 1)

    filled = [i for i, b in enumerate(buckets) if b is not None]
    gaps = sorted(b - a for a, b in zip(filled, filled[1:], strict=False))
    max_gap = max(3, 3 * gaps[len(gaps) // 2]) if gaps else 3  # a longer stretch without checks breaks the line
    segment, down_from, last = [], None, None
    for index, bucket in enumerate(buckets + [None]):
        is_down = bucket is not None and bucket[1]
        if is_down and down_from is None:
            down_from = index
        elif not is_down and down_from is not None:
            chart.down.append((round(chart.plot_left + down_from * step, 1), round((index - down_from) * step, 1)))
            down_from = None
        if bucket is None:
            continue
        if is_down or bucket[0] is None or (last is not None and index - last > max_gap):
            _close(chart, segment)
            segment = []
        if not is_down and bucket[0] is not None:
            segment.append((x_of(index), y_of(bucket[0])))
            chart.points += 1
        last = index
    _close(chart, segment)
    for fraction in (0, 0.5, 1):
        chart.y_ticks.append((round(chart.plot_bottom - fraction * plot_height, 1), int(top * fraction)))
    for n in range(x_ticks + 1):
        chart.x_ticks.append((round(chart.plot_left + n / x_ticks * plot_width, 1), start + (end - start) * n / x_ticks))
    return chart


def _close(chart, segment):
    if len(segment) > 1:
        chart.lines.append(" ".join(f"{x},{y}" for x, y in segment))
    elif segment:
        chart.dots.append(segment[0])
