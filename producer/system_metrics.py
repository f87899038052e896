"""System metrics: CPU, memory, disk, network and GPU use, logged as ``system/...``
metrics of a run from a background thread.

Switched on per run (``start_run(log_system_metrics=True)``) or for every run
(``enable_system_metrics_logging()`` or RUNSTREAM_SYSTEM_METRICS=true). Each sample
is one step; in distributed training each rank's samples carry its rank. GPUs are
read through NVML (the ``nvidia-ml-py`` package) when it and a GPU are present.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import psutil

from runstream import writes
from runstream.context import state

logger = logging.getLogger(__name__)

PREFIX = "system/"
MB = 1024 * 1024

Sampler = Callable[[], dict[str, float]]

_enabled: bool | None = None


def enable_system_metrics_logging() -> None:
    """Log system metrics for every run started from now on."""
    global _enabled
    _enabled = True


def disable_system_metrics_logging() -> None:
    global _enabled
    _enabled = False


def system_metrics_wanted(per_run: bool | None) -> bool:
    """The run's own choice, else the process-wide one, else the setting."""
    if per_run is not None:
        return per_run
    if _enabled is not None:
        return _enabled
    return state.settings.system_metrics


class HostSampler:
    """Reads CPU, memory, disk and network counters through psutil."""

    def __init__(self, disk_path: str = "/") -> None:
        self.disk_path = disk_path
        psutil.cpu_percent(interval=None)  # the first call only sets the baseline
        self._net_start = psutil.net_io_counters()

    def __call__(self) -> dict[str, float]:
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(self.disk_path)
        net = psutil.net_io_counters()
        return {
            "cpu_utilization_percentage": psutil.cpu_percent(interval=None),
            "system_memory_usage_megabytes": (memory.total - memory.available) / MB,
            "system_memory_usage_percentage": memory.percent,
            "disk_usage_percentage": disk.percent,
            "disk_usage_megabytes": disk.used / MB,
            "disk_available_megabytes": disk.free / MB,
            # Since monitoring began, so the chart shows this run's traffic.
            "network_receive_megabytes": (net.bytes_recv - self._net_start.bytes_recv)
            / MB,
            "network_transmit_megabytes": (net.bytes_sent - self._net_start.bytes_sent)
            / MB,
        }


class GpuSampler:
    """Reads every GPU's utilisation, memory, power and temperature through NVML."""

    def __init__(self, nvml: ModuleType | Any) -> None:
        self.nvml = nvml
        nvml.nvmlInit()
        count = nvml.nvmlDeviceGetCount()
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]

    def __call__(self) -> dict[str, float]:
        nvml = self.nvml
        out: dict[str, float] = {}
        for i, handle in enumerate(self.handles):
            rates = nvml.nvmlDeviceGetUtilizationRates(handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            out[f"gpu_{i}_utilization_percentage"] = float(rates.gpu)
            out[f"gpu_{i}_memory_usage_megabytes"] = memory.used / MB
            out[f"gpu_{i}_memory_usage_percentage"] = 100 * memory.used / memory.total
            try:
                milliwatts = nvml.nvmlDeviceGetPowerUsage(handle)
                out[f"gpu_{i}_power_usage_watts"] = milliwatts / 1000
                temperature = nvml.nvmlDeviceGetTemperature(handle, 0)
                out[f"gpu_{i}_temperature_celsius"] = float(temperature)
            except nvml.NVMLError:
                pass  # not every GPU reports power and temperature
        return out

    def close(self) -> None:
        self.nvml.nvmlShutdown()


def gpu_sampler() -> GpuSampler | None:
    """A GPU sampler when NVML and at least one GPU are there, else None."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        sampler = GpuSampler(pynvml)
    except Exception as e:  # no driver, no device: the host metrics still log
        logger.info("no GPU metrics: NVML is not usable here: %s", e)
        return None
    if not sampler.handles:
        sampler.close()
        return None
    return sampler


class SystemMetricsMonitor:
    """Samples every ``interval_s`` seconds and logs to ``run_id`` until stopped."""

    def __init__(
        self,
        run_id: str,
        interval_s: float | None = None,
        samplers: list[Sampler] | None = None,
    ) -> None:
        self.run_id = run_id
        self.interval_s = interval_s or state.settings.system_metrics_interval_s
        self._gpu: GpuSampler | None = None
        if samplers is None:
            self._gpu = gpu_sampler()
            samplers = [HostSampler()] + ([self._gpu] if self._gpu else [])
        self.samplers = samplers
        self.step = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="runstream-system-metrics", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        logger.info(
            "system metrics started run_id=%s interval_s=%.1f",
            self.run_id,
            self.interval_s,
        )

    def stop(self) -> None:
        """Stop sampling, logging one last sample so even a short run has one."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.sample_once()
        if self._gpu is not None:
            self._gpu.close()

    def sample_once(self) -> None:
        values: dict[str, float] = {}
        for sampler in self.samplers:
            try:
                values.update(sampler())
            except Exception as e:  # a failing counter must not stop the others
                logger.warning("system metrics sampler failed: %s", e)
        if values:
            metrics = {PREFIX + key: value for key, value in values.items()}
            writes.log_metrics(self.run_id, metrics, step=self.step)
            self.step += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample_once()
