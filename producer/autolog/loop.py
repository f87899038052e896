"""Logging a hand-written training loop, PyTorch style, without any framework.

    with runstream.TrainingLogger(model=model, optimizer=optimizer) as tracker:
        for epoch in range(epochs):
            for x, y in loader:
                loss = train_step(x, y)
                tracker.step(loss=loss)          # tensors are fine: .item() is used
            tracker.epoch_end(val_loss=evaluate())

It starts a run when none is active (and ends it: FAILED if the loop raised), logs
the optimizer's settings and the model's size and structure once, step metrics
every ``log_every_n_steps`` steps (with the learning rate of each step), and epoch
metrics at the epoch number. Nothing here imports torch.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import runstream
from runstream.tracking import ActiveRun

logger = logging.getLogger(__name__)

# Optimizer settings worth a param: the usual names across optimizers.
_OPTIMIZER_KEYS = ("lr", "momentum", "weight_decay", "betas", "eps", "nesterov")


def to_number(value: Any) -> float:
    """A float from a number, a numpy scalar or a tensor (detached, on the CPU)."""
    for method in ("detach", "cpu"):
        if hasattr(value, method):
            value = getattr(value, method)()
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


class TrainingLogger:
    """Tracks one training loop; see the module docstring."""

    def __init__(
        self,
        model: Any = None,
        optimizer: Any = None,
        log_every_n_steps: int = 1,
        run_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        if log_every_n_steps < 1:
            raise runstream.InvalidInputError(
                f"log_every_n_steps={log_every_n_steps} must be 1 or more"
            )
        self.model = model
        self.optimizer = optimizer
        self.every = log_every_n_steps
        self.params = dict(params or {})
        self.global_step = 0
        self.epoch = 0
        self.run_id = run_id
        self._started: ActiveRun | None = None

    def __enter__(self) -> TrainingLogger:
        if self.run_id is None:
            active = runstream.active_run()
            if active is None:
                self._started = runstream.start_run()
                active = self._started
            self.run_id = active.info.run_id
        self._log_setup()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        runstream.log_metric("epochs_completed", self.epoch, run_id=self.run_id)
        if self._started is not None and runstream.active_run() is self._started:
            status = "FINISHED" if exc_type is None else "FAILED"
            if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
                status = "KILLED"
            runstream.end_run(status)

    def _log_setup(self) -> None:
        params = dict(self.params)
        if self.optimizer is not None:
            params["optimizer_name"] = type(self.optimizer).__name__
            groups = getattr(self.optimizer, "param_groups", None) or [{}]
            for key in _OPTIMIZER_KEYS:
                if key in groups[0]:
                    params[f"optimizer_{key}"] = groups[0][key]
        if self.model is not None:
            params["model_class"] = type(self.model).__name__
            count = _parameter_count(self.model)
            if count is not None:
                params["model_parameters"] = count
            runstream.log_text(str(self.model), "model_summary.txt", run_id=self.run_id)
        if params:
            runstream.log_params(params, run_id=self.run_id)

    def step(self, **metrics: Any) -> None:
        """One optimisation step; its metrics log every ``log_every_n_steps``."""
        self.global_step += 1
        if self.global_step % self.every:
            return
        values = {key: to_number(value) for key, value in metrics.items()}
        lr = self._learning_rate()
        if lr is not None:
            values.setdefault("lr", lr)
        runstream.log_metrics(values, step=self.global_step, run_id=self.run_id)

    def epoch_end(self, **metrics: Any) -> None:
        """The end of an epoch; its metrics log at the epoch number (from 1)."""
        self.epoch += 1
        values = {key: to_number(value) for key, value in metrics.items()}
        values["epoch"] = self.epoch
        runstream.log_metrics(values, step=self.epoch, run_id=self.run_id)

    def _learning_rate(self) -> float | None:
        groups = getattr(self.optimizer, "param_groups", None)
        if groups and "lr" in groups[0]:
            return to_number(groups[0]["lr"])
        return None


def _parameter_count(model: Any) -> int | None:
    parameters = getattr(model, "parameters", None)
    if not callable(parameters):
        return None
    try:
        return sum(int(p.numel()) for p in parameters())
    except Exception as e:  # a model-like object without numel: skip the count
        logger.debug("model parameter count unavailable: %s", e)
        return None
