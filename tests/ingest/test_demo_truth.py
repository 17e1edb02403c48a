"""Scoring a correlation against the demo's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.ingest.demo import write_demo
from tui.ingest.demo_truth import read_truth, score

TRUTH = {"A1": "x", "A2": "x", "A3": "x", "B1": "y", "B2": "y", "N1": None, "N2": None}


def test_pairwise_scores_by_hand() -> None:
    incidents = [("a1", 1), ("a2", 1), ("a3", None), ("b1", 2), ("b2", 2), ("n1", 2), ("n2", None)]

    scores = score({k.lower(): v for k, v in TRUTH.items()}, incidents)

    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 4, 2)
    assert scores.precision == scores.recall == pytest.approx(0.5)
    assert (scores.instances, scores.instances_whole, scores.noise_in_incidents) == (2, 0, 1)


def test_perfect_correlation_scores_one() -> None:
    incidents = [("A1", 7), ("a2", 7), ("a3", 7), ("b1", 9), ("b2", 9), ("n1", None), ("n2", None)]

    scores = score({k.lower(): v for k, v in TRUTH.items()}, incidents)

    assert scores.f1 == 1.0 and scores.instances_whole == 2 and scores.noise_in_incidents == 0


def test_truth_file_keys_are_lower_cased_alert_ids(tmp_path: Path) -> None:
    files = write_demo(tmp_path, 40, seed=3)
    truth = read_truth(files.truth)
    assert len(truth) == 40
    assert all(key == key.lower() and key.startswith("/subscriptions/") for key in truth)
    assert len({name for name in truth.values() if name}) >= 2
