"""What happens to newly imported alerts: correlation, then automation.

Suppression comes first, while the alerts are written (`IngestSuppression`, handed to the
import), so noise is dismissed before automation sees it. Dismissed alerts still correlate:
an incident keeps showing an alert a rule took, so a rule cannot hide part of an attack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tui.config import Config
from tui.engine import automation, correlation
from tui.engine.correlation_settings import CorrelationSettings
from tui.model.clock import utcnow
from tui.store import Store
from tui.store.queries import incidents_touched, last_incident_id, not_suppressed


@dataclass
class PipelineResult:
    suppressed: int = 0
    correlation: correlation.CorrelationResult | None = None
    automated_runs: list = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.suppressed:,} suppressed by rules"]
        if self.correlation is not None:
            parts.append(self.correlation.summary())
        if self.automated_runs:
            parts.append(f"{len(self.automated_runs):,} automated playbook runs")
        return "; ".join(parts)


def process_new_alerts(
    store: Store, alert_ids: Sequence[int], config: Config | None = None
) -> PipelineResult:
    """Run the engines on new alerts, in the order a SOC expects: correlation first, so that
    incident-level automation sees the incidents. `suppressed` counts the alerts that arrived
    dismissed by a rule."""
    config = config or Config()
    result = PipelineResult()
    if not alert_ids:
        return result
    mark, started = last_incident_id(store.conn), utcnow()
    result.correlation = correlation.correlate_new(
        store, alert_ids, CorrelationSettings.from_config(config)
    )
    # Suppressed noise must not fire playbooks: that is what suppressing it means.
    wanted = not_suppressed(store.conn, list(alert_ids))
    result.suppressed = len(alert_ids) - len(wanted)
    created, changed = incidents_touched(store.conn, mark, started)
    result.automated_runs = [
        *automation.on_alerts_created(store, config, wanted),
        *automation.on_incidents_created(store, config, created),
        *automation.on_incidents_changed(store, config, changed),
    ]
    return result
