"""The cross-check's result values, stored on each HostResult (journal, report.json, history)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Disagreement:
    """One rule where umcheck and the official script answered differently.

    ``umcheck`` / ``official`` are message ids (``HttpsConnection.PassedWithWarning``), or
    ``"no row"`` when that side has no result for the rule. ``deviation`` names the documented
    deviation (docs/deviations.md) that explains the difference, None when nothing does — those
    are the ones to report.
    """

    rule_id: str
    umcheck: str
    official: str
    deviation: str | None = None
    note: str = ""

    @property
    def explained(self) -> bool:
        return self.deviation is not None


@dataclass(frozen=True)
class CrossCheck:
    """umcheck's collector and the official script on one host, compared rule by rule."""

    script: str  # official-windows | official-linux
    status: str = "compared"  # compared | error
    error: str | None = None  # why the official side gave nothing to compare (one line)
    official_readiness: str | None = None
    agreed: int = 0  # rules with the same message id on both sides
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Disagreement]:
        return [d for d in self.disagreements if not d.explained]

    @property
    def summary(self) -> str:
        """One line: what a text report or a progress log shows for this host."""
        if self.status != "compared":
            return f"cross-check with {self.script} failed: {self.error}"
        n, u = len(self.disagreements), len(self.unexplained)
        if not n:
            return f"agrees with {self.script} on all {self.agreed} rules"
        return (f"{n} disagreement(s) with {self.script} ({u} not explained by a documented deviation), "
                f"{self.agreed} rules agree")  # fmt: skip
