"""Score a correlation of the demo alerts against the generator's ground truth.

Pairwise scores: a pair of alerts is "together" in the truth when both belong to one scenario
instance (noise belongs to none), and in the prediction when both sit in one incident. Counting
pairs per (instance, incident) cell keeps this linear in the number of alerts, so a million
alerts in a handful of huge incidents score as fast as a thousand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson


@dataclass(frozen=True)
class PairScores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    instances: int  # scenario instances with two or more alerts
    instances_whole: int  # of those, found complete in one incident and alone in it
    noise_in_incidents: int  # noise alerts that a correlation put into an incident

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def read_truth(path: Path) -> dict[str, str | None]:
    """Lower-cased alert id (as the store keeps it) -> scenario instance, None for noise."""
    truth: dict[str, str | None] = {}
    with path.open("rb") as lines:
        for line in lines:
            row = orjson.loads(line)
            truth[row["id"].lower()] = row["scenario"]
    return truth


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def score(
    truth: Mapping[str, str | None], incidents: Iterable[tuple[str, int | None]]
) -> PairScores:
    """Compare `incidents` ((alert id, incident id or None) per alert) with `truth`."""
    cells: Counter[tuple[str | None, int | None]] = Counter()
    for alert_id, incident in incidents:
        cells[(truth.get(alert_id.lower()), incident)] += 1
    by_instance: Counter[str] = Counter()
    by_incident: Counter[int] = Counter()
    correct = noise = 0
    for (instance, incident), n in cells.items():
        if instance is not None:
            by_instance[instance] += n
        if incident is not None:
            by_incident[incident] += n
            if instance is None:
                noise += n
            else:
                correct += _pairs(n)
    whole = sum(
        1
        for (instance, incident), n in cells.items()
        if instance is not None
        and incident is not None
        and by_instance[instance] > 1
        and n == by_instance[instance] == by_incident[incident]
    )
    return PairScores(
        true_pairs=sum(_pairs(n) for n in by_instance.values()),
        predicted_pairs=sum(_pairs(n) for n in by_incident.values()),
        correct_pairs=correct,
        instances=sum(1 for n in by_instance.values() if n > 1),
        instances_whole=whole,
        noise_in_incidents=noise,
    )
