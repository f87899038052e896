"""System metrics: host counters through psutil, GPUs through NVML (a stand-in
here), logged as system/... metrics at an interval, per run or for every run."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest

import runstream
from runstream import system_metrics
from runstream.context import state
from runstream.system_metrics import (
    GpuSampler,
    HostSampler,
    SystemMetricsMonitor,
    gpu_sampler,
)


@pytest.fixture
def fast_interval(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    quick = state.settings.model_copy(update={"system_metrics_interval_s": 0.05})
    monkeypatch.setattr(state, "settings", quick)
    yield
    system_metrics._enabled = None


def test_host_sampler_reads_cpu_memory_disk_and_network() -> None:
    sample = HostSampler()()
    assert set(sample) == {
        "cpu_utilization_percentage",
        "system_memory_usage_megabytes",
        "system_memory_usage_percentage",
        "disk_usage_percentage",
        "disk_usage_megabytes",
        "disk_available_megabytes",
        "network_receive_megabytes",
        "network_transmit_megabytes",
    }
    assert 0 <= sample["system_memory_usage_percentage"] <= 100
    assert sample["network_receive_megabytes"] >= 0


class FakeNvml:
    """Two GPUs; the second reports no power or temperature."""

    class NVMLError(Exception):
        pass

    def __init__(self) -> None:
        self.shut = False

    def nvmlInit(self) -> None:
        pass

    def nvmlShutdown(self) -> None:
        self.shut = True

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(gpu=40 + handle, memory=10)

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(used=512 * 1024 * 1024, total=2048 * 1024 * 1024)

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        if handle == 1:
            raise self.NVMLError("not supported")
        return 150_000

    def nvmlDeviceGetTemperature(self, handle: int, sensor: int) -> int:
        return 61


def test_gpu_sampler_reads_every_device_through_nvml() -> None:
    nvml = FakeNvml()
    sampler = GpuSampler(nvml)
    sample = sampler()
    assert sample["gpu_0_utilization_percentage"] == 40
    assert sample["gpu_1_utilization_percentage"] == 41
    assert sample["gpu_0_memory_usage_megabytes"] == 512
    assert sample["gpu_0_memory_usage_percentage"] == 25
    assert sample["gpu_0_power_usage_watts"] == 150
    assert sample["gpu_0_temperature_celsius"] == 61
    assert "gpu_1_power_usage_watts" not in sample
    sampler.close()
    assert nvml.shut


def test_no_nvml_means_no_gpu_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert gpu_sampler() is None


def test_a_run_logs_system_metrics_at_the_interval(
    synced: Callable[[], None], fast_interval: None
) -> None:
    with runstream.start_run(log_system_metrics=True) as run:
        time.sleep(0.4)
    synced()
    history = runstream.get_metric_history(
        run.info.run_id, "system/cpu_utilization_percentage"
    )
    steps = [point.step for point in history]
    assert len(steps) >= 3
    assert steps == list(range(len(steps)))
    metrics = runstream.get_run(run.info.run_id).data.metrics
    assert "system/disk_usage_percentage" in metrics


def test_system_metrics_switch_on_for_every_run(
    synced: Callable[[], None], fast_interval: None
) -> None:
    runstream.enable_system_metrics_logging()
    with runstream.start_run() as on:
        pass
    runstream.disable_system_metrics_logging()
    with runstream.start_run() as off:
        pass
    synced()
    assert (
        "system/cpu_utilization_percentage"
        in runstream.get_run(on.info.run_id).data.metrics
    )
    assert runstream.get_run(off.info.run_id).data.metrics == {}


def test_a_failing_sampler_does_not_stop_the_others(
    synced: Callable[[], None],
) -> None:
    def broken() -> dict[str, float]:
        raise OSError("counter gone")

    with runstream.start_run() as run:
        monitor = SystemMetricsMonitor(
            run.info.run_id, interval_s=60, samplers=[broken, lambda: {"x": 1.0}]
        )
        monitor.start()
        monitor.stop()  # logs one last sample
    synced()
    assert runstream.get_run(run.info.run_id).data.metrics == {"system/x": 1.0}
