"""The pipeline benchmark's sustained rate: the counter's slope between 10% and 90% of the pages."""

from __future__ import annotations

from bench.pipeline import crossing, steady_rate


def test_crossing_interpolates_between_samples() -> None:
    samples = [(0.0, 0.0), (1.0, 10.0), (2.0, 50.0)]
    assert crossing(samples, 30) == 1.5
    assert crossing(samples, 10) == 1.0
    assert crossing(samples, 60) is None


def test_fill_and_drain_are_left_out() -> None:
    # slow start (feed parse), 40/s in the middle, slow tail (the last pages crossing the stages)
    samples = [(0.0, 0.0), (0.5, 0.0), (1.0, 10.0), (3.0, 90.0), (4.0, 100.0)]
    assert steady_rate(samples, 100) == 40.0
    assert steady_rate(samples[:3], 100) is None  # never reached 90%
