"""The benchmark's table: each figure beside MLflow's, the ratio, the target."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    workload: str
    runstream: float
    mlflow: float | None
    higher_is_better: bool
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times better runstream is (above 1 is better)."""
        if self.mlflow is None:
            return None
        if self.higher_is_better:
            return self.runstream / self.mlflow if self.mlflow else float("inf")
        return self.mlflow / self.runstream if self.runstream else float("inf")

    @property
    def meets_target(self) -> str:
        if self.target is None:
            return ""
        met = (
            self.runstream >= self.target
            if self.higher_is_better
            else self.runstream < self.target
        )
        sign = "≥" if self.higher_is_better else "<"
        return f"{sign} {_figure(self.target)}: {'yes' if met else 'NO'}"


def _figure(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def render(rows: list[Row], environment: list[str]) -> str:
    lines = ["# Benchmarks: runstream beside MLflow", ""]
    lines += [f"- {line}" for line in environment]
    lines += [
        "",
        "Run with `make bench`. Ratio: how many times better runstream is than "
        "MLflow in the same run.",
        "",
        "| workload | runstream | mlflow | ratio | target | note |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        peer = "—" if row.mlflow is None else _figure(row.mlflow)
        ratio = "—" if row.ratio is None else f"{row.ratio:,.1f}×"
        lines.append(
            f"| {row.workload} | {_figure(row.runstream)} | {peer} "
            f"| {ratio} | {row.meets_target} | {row.note} |"
        )
    return "\n".join(lines) + "\n"
