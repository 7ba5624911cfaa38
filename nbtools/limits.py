"""Limits that layers below their feature need: the largest metric value a run keeps, and the
variable handing it to a run's kernel. Standard library only (imported inside kernels, through
:mod:`nbtools.metrics.values`)."""

from __future__ import annotations

#: Default largest encoded size of one metric value; ``MetricsSettings.max_value_bytes``
#: overrides it, and runs pass that setting to the kernel as :data:`MAX_BYTES_ENV`.
DEFAULT_MAX_VALUE_BYTES = 16 * 1024
#: The environment variable of a run's kernel holding the largest metric value it records.
MAX_BYTES_ENV = "NBTOOLS_METRIC_MAX_BYTES"
