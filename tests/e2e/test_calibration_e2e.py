"""The configured relevance bar and follow-up tolerance are the calibrated ones.

Calibration indexes the labelled set (tests/data/retrieval) with the configured embedder,
chunking and window through the real ingestion path; a change to any of them, or to the
engines, must come with a recalibration (python bench/calibrate_threshold.py).
"""

from __future__ import annotations

import pytest

from bench import calibrate_threshold
from config.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_configured_bar_and_tolerance_are_the_calibrated_ones() -> None:
    result = await calibrate_threshold.measure(Settings())
    configured = Settings().retrieval

    assert len(result.scored) >= 150 and len(result.held_out_part) >= 30
    assert abs(configured.min_score - result.threshold) <= 0.01, "recalibrate min_score"
    assert abs(configured.follow_up_tolerance - result.tolerance) <= 0.005
    # Floors under today's figures (README, Retrieval), so a regression shows.
    assert result.auc >= 0.85
    assert result.accuracy >= 0.78 and result.held_out_accuracy >= 0.75
    assert result.tolerance_accuracy >= 0.9
