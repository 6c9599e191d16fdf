"""The latency chart's numbers: downsampling, line breaks, down periods."""

import datetime

from lachan.monitoring.views.chart import MAX_POINTS, latency_chart

START = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)


def rows_every(minutes, count, *, down=lambda n: False, latency=lambda n: 100 + n % 50):
    return [(START + datetime.timedelta(minutes=minutes * n), None if down(n) else latency(n), down(n))
            for n in range(count)]


def test_a_week_of_minute_checks_is_downsampled_and_keeps_the_spike():
    rows = rows_every(1, 7 * 24 * 60, latency=lambda n: 5000 if n == 4321 else 100)
    chart = latency_chart(rows, start=START, end=START + datetime.timedelta(days=7))
    assert chart.checks == 10080 and chart.points == MAX_POINTS
    assert len(chart.lines) == 1 and len(chart.lines[0].split()) == MAX_POINTS
    assert chart.peak_ms == 5000 and chart.y_ticks[-1][1] == 5000
    assert chart.down == []


def test_down_periods_are_shaded_and_break_the_line():
    rows = rows_every(5, 288, down=lambda n: 100 <= n < 112)  # one hour down in a day of 5-minute checks
    chart = latency_chart(rows, start=START, end=START + datetime.timedelta(hours=24))
    assert len(chart.down) == 1 and len(chart.lines) == 2
    x, width = chart.down[0]
    plot = chart.plot_right - chart.plot_left
    assert abs(width - plot / 24) < plot / MAX_POINTS * 2  # about one hour of the 24
    assert chart.plot_left + plot * 100 / 288 - 3 < x < chart.plot_left + plot * 100 / 288 + 3


def test_a_long_silence_breaks_the_line_and_no_checks_is_empty():
    rows = rows_every(5, 50) + [(START + datetime.timedelta(hours=20), 120, False),
                                (START + datetime.timedelta(hours=20, minutes=5), 130, False)]
    chart = latency_chart(rows, start=START, end=START + datetime.timedelta(hours=24))
    assert len(chart.lines) == 2
    assert latency_chart([], start=START, end=START + datetime.timedelta(hours=1)).empty
