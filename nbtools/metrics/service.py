"""Monitoring beside a scheduler (in the Jupyter server or ``nbtools scheduler``).

Starts the background notification sender, and hands the metric size limit to the worker
processes and kernels started after it (through ``$NBTOOLS_METRIC_MAX_BYTES``, which
``record()`` and the harvester read).
"""

from __future__ import annotations

import os

from nbtools.metrics.config import MetricsSettings, NotificationSettings
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.values import MAX_BYTES_ENV
from nbtools.project import Project


class MonitoringService:
    """The notification sender of one project, started and stopped with its scheduler."""

    def __init__(
        self, project: Project, metrics: MetricsSettings, notifications: NotificationSettings
    ) -> None:
        self.project, self.metrics, self.notifications = project, metrics, notifications
        self.sender: NotificationSender | None = None

    def start(self) -> None:
        """Export the size limit (before workers start) and start the sender; idempotent."""
        os.environ[MAX_BYTES_ENV] = str(self.metrics.max_value_bytes)
        if self.sender is None:
            self.sender = NotificationSender(self.project.store, self.notifications)
            self.sender.start()

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.stop(timeout=self.notifications.timeout_seconds + 1)
            self.sender = None
