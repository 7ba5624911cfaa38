"""Monitoring beside a scheduler (in the Jupyter server or ``nbtools scheduler``).

Starts the background notification sender. (The metric size limit travels with each run's
:class:`~nbtools.jobs.executors.base.RunRequest`, which its scheduler fills in.)
"""

from __future__ import annotations

from nbtools.metrics.config import MetricsSettings, NotificationSettings
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.project import Project


class MonitoringService:
    """The notification sender of one project, started and stopped with its scheduler."""

    def __init__(
        self, project: Project, metrics: MetricsSettings, notifications: NotificationSettings
    ) -> None:
        self.project, self.metrics, self.notifications = project, metrics, notifications
        self.sender: NotificationSender | None = None

    def start(self) -> None:
        """Start the sender; idempotent."""
        if self.sender is None:
            self.sender = NotificationSender(self.project.store, self.notifications)
            self.sender.start()

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.stop(timeout=self.notifications.timeout_seconds + 1)
            self.sender = None
