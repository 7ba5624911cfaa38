"""Alert rules, alerts, notification targets and deliveries of jobs.

``/jobs/<id>/rules`` (GET, POST ``{"text"}``), ``/rules/<id>`` (DELETE), ``/alerts`` (GET),
``/alerts/counts`` (GET: open alerts per job), ``/alerts/<id>/ack`` (POST),
``/jobs/<id>/notifications`` (GET, POST ``{"channel", "destination", "events"}``),
``/notification-targets/<id>`` (DELETE), ``/notifications`` (GET: the outbox),
``/notifications/<id>/retry`` (POST).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler
from nbtools import metrics
from nbtools.errors import InvalidInputError


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"The request needs {name!r} as a string.", field=name)
    return value


class RulesHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        self.reply(metrics.list_rules(self.project, int(job_id)))

    @web.authenticated
    @authorized
    def post(self, job_id: str) -> None:
        text = _string(self.json_body(), "text")
        self.reply(metrics.add_rule(self.project, int(job_id), text), status=201)


class RuleHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def delete(self, rule_id: str) -> None:
        self.reply(metrics.remove_rule(self.project, int(rule_id)))


class AlertsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        found = metrics.list_alerts(
            self.project,
            job_id=self.whole_number_argument("job"),
            run_id=self.whole_number_argument("run"),
            status=self.get_query_argument("status", None),
            limit=self.whole_number_argument("limit", 100) or 1,
        )
        self.reply(found)


class AlertCountsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        counts = metrics.open_alert_counts(self.project)
        self.reply({str(job_id): count for job_id, count in counts.items()})


class AcknowledgeHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def post(self, alert_id: str) -> None:
        user = self.current_user.username if self.current_user else None
        (alert,) = metrics.acknowledge_alerts(self.project, [int(alert_id)], user)
        self.reply(alert)


class TargetsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        self.reply(metrics.list_targets(self.project, int(job_id)))

    @web.authenticated
    @authorized
    def post(self, job_id: str) -> None:
        body = self.json_body()
        events = body.get("events", ["failure", "alert"])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise InvalidInputError("'events' must be a list of event names.", field="events")
        channel, destination = _string(body, "channel"), _string(body, "destination")
        target = metrics.add_target(self.project, int(job_id), channel, destination, events)
        self.reply(target, status=201)


class TargetHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def delete(self, target_id: str) -> None:
        self.reply(metrics.remove_target(self.project, int(target_id)))


class NotificationsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        found = metrics.list_notifications(
            self.project,
            job_id=self.whole_number_argument("job"),
            status=self.get_query_argument("status", None),
            limit=self.whole_number_argument("limit", 50) or 1,
        )
        self.reply(found)


class RetryHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def post(self, notification_id: str) -> None:
        self.reply(metrics.retry_notification(self.project, int(notification_id)))


ROUTES = [
    (r"/jobs/(?P<job_id>\d+)/rules", RulesHandler),
    (r"/rules/(?P<rule_id>\d+)", RuleHandler),
    (r"/alerts", AlertsHandler),
    (r"/alerts/counts", AlertCountsHandler),
    (r"/alerts/(?P<alert_id>\d+)/ack", AcknowledgeHandler),
    (r"/jobs/(?P<job_id>\d+)/notifications", TargetsHandler),
    (r"/notification-targets/(?P<target_id>\d+)", TargetHandler),
    (r"/notifications", NotificationsHandler),
    (r"/notifications/(?P<notification_id>\d+)/retry", RetryHandler),
]
