"""The one Great Expectations context of the process: ephemeral, quiet (no analytics, no progress bars, GX logging at
WARNING), with a pandas data source that has one dataframe asset per entity and one validation definition per suite.
Its validation-results store does not keep run results (expectations/gx_store.py).

Great Expectations is imported on first use (≈3-5 s), not when this package is imported. The 1.x path that works
(docs/GUIDE §4): ephemeral context → pandas data source → dataframe asset → whole-dataframe batch definition →
`ValidationDefinition.run(batch_parameters={"dataframe": df})`.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from expectations.suites import SuiteSpec, load_suite

DATASOURCE = "hoso_frames"
_lock = threading.RLock()


@dataclass(frozen=True)
class Prepared:
    """A suite registered in the context: its validation definition and GX id -> stable id of each expectation."""

    spec: SuiteSpec
    validation_definition: Any  # gx.ValidationDefinition
    stable_ids: dict[str, str]


def _quiet() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


@cache
def gx_context():
    """The cached ephemeral context (one per process)."""
    _quiet()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)  # no default docs site in a temp folder
    # Under its own name: DataContextConfig re-adds a plain ValidationResultsStore under the default name when no
    # store of that class is configured, which would replace ours.
    defaults.validation_results_store_name = "run_results_not_kept"
    defaults.stores["run_results_not_kept"] = {
        "module_name": "expectations.gx_store",
        "class_name": "RunResultsNotKeptStore",
        "store_backend": {"class_name": "InMemoryStoreBackend"},
    }
    config = DataContextConfig(store_backend_defaults=defaults, analytics_enabled=False)
    context = gx.get_context(mode="ephemeral", project_config=config)
    if type(context.validation_results_store).__name__ != "RunResultsNotKeptStore":  # pragma: no cover
        raise RuntimeError("GX ignored the configured validation-results store")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas(DATASOURCE)
    _no_batch_fingerprints()
    return context


def _no_batch_fingerprints() -> None:
    """GX's pandas engine fingerprints every dataframe batch smaller than HASH_THRESHOLD (1 GB): an md5 of pandas'
    hash of all its values, kept in the run result's batch markers (data docs list it under "Show more info").
    Nothing here reads it, and it was a quarter of the suite run (dossiers, 130,000 rows: 0.91-1.02 s ->
    0.69-0.70 s). GX 1.24 has no option for it; its threshold is the one switch, and the test on the batch markers
    says when an upgrade moves it."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def prepared(entity: str) -> Prepared:
    """Register the suite of `entity` in the context once, and return its validation definition."""
    with _lock:
        return _prepared(entity)


@cache
def _prepared(entity: str) -> Prepared:
    import great_expectations as gx

    spec = load_suite(entity)
    context = gx_context()
    suite = gx.ExpectationSuite(**spec.document)
    # GX assigns fresh uuids when the suite is added (and mutates the object): remember ours by position.
    ours = [e.id for e in suite.expectations]
    before = [(e.expectation_type, e.configuration.kwargs) for e in suite.expectations]
    suite = context.suites.add(suite)
    after = [(e.expectation_type, e.configuration.kwargs) for e in suite.expectations]
    if before != after:  # pragma: no cover - GX changed how it stores suites
        raise RuntimeError(f"suite {entity!r}: GX reordered or changed the expectations when adding the suite")
    stable_ids = {e.id: sid for e, sid in zip(suite.expectations, ours)}
    asset = context.data_sources.get(DATASOURCE).add_dataframe_asset(entity)
    batch = asset.add_batch_definition_whole_dataframe(f"{entity}_frame")
    vd = context.validation_definitions.add(gx.ValidationDefinition(name=entity, data=batch, suite=suite))
    return Prepared(spec=spec, validation_definition=vd, stable_ids=stable_ids)


def release_batches() -> None:
    """The pandas execution engine caches the last batch of each asset (the whole pandas frame): drop them after a
    run, so that a 1M-row frame does not stay in memory until that entity is validated again."""
    manager = gx_context().data_sources.get(DATASOURCE).get_execution_engine().batch_manager
    manager.reset_batch_cache()  # the Batch objects
    manager.batch_data_cache.clear()  # the PandasBatchData holding the frame (reset_batch_cache leaves it)
