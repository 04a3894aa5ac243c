"""Wiring a Faust worker from settings: zones from the data directory, processors per partition."""

from __future__ import annotations

import logging
from functools import partial

from cargotrail.kafka.topics import Namespace
from cargotrail.settings import Settings
from cargotrail.wiring import load_zones
from streams.processors.pipeline import Processors
from streams.runtimes.kafka.app import WorkerConfig, build_app


def worker_config(settings: Settings, ns: Namespace, *, tickless: bool = False) -> WorkerConfig:
    zones = load_zones(settings)  # ConfigError when the data directory has none
    make = partial(Processors, zones, lateness_s=settings.lateness_s, thresholds=settings.thresholds)
    return WorkerConfig(
        bootstrap=settings.kafka_bootstrap,
        ns=ns,
        make_processors=make,
        max_future_s=settings.max_future_s,
        anchor_records=settings.anchor_batch_records,
        anchor_seconds=settings.anchor_batch_seconds,
        take_max=settings.batch_size,
        chunk_records=settings.batch_size,
        tickless=tickless,
        datadir=settings.data_dir / "faust",
    )


def run_worker(settings: Settings, ns: Namespace, *, tickless: bool = False) -> None:
    """Block running one Faust worker until SIGTERM/SIGINT."""
    import faust

    class Worker(faust.Worker):
        def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
            super().on_setup_root_logger(logger, level)
            # Faust and its clients log warnings only; the worker's own steps (partitions rebuilt,
            # the fetch wait capped) are what an operator reads in its log. Set here, after Faust
            # configured logging (its handlers at INFO): that resets levels set before.
            logger.setLevel(logging.WARNING)
            logging.getLogger("cargotrail").setLevel(logging.INFO)

    app = build_app(worker_config(settings, ns, tickless=tickless))
    worker = Worker(app, loglevel="INFO", quiet=True)
    # Faust's progress spinner lowers the root logger to DEBUG (to spin on every record): every
    # debug call of aiokafka would then build a log record, a tenth of a busy worker's time.
    worker.spinner = None
    worker.execute_from_commandline()
