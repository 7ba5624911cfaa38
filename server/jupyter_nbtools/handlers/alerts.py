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
from nbtools.errors import InvalidInputError
from nbtools.metrics.alerts import (
    acknowledge,
    add_rule,
    alert_to_dict,
    list_alerts,
    list_rules,
    open_alert_counts,
    remove_rule,
    rule_to_dict,
)
from nbtools.metrics.notify.outbox import (
    add_target,
    list_notifications,
    list_targets,
    notification_to_dict,
    remove_target,
    retry_now,
    target_to_dict,
)
from nbtools.store.base import utcnow


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"The request needs {name!r} as a string.", field=name)
    return value


class RulesHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        with self.project.store.session() as session:
            self.reply([rule_to_dict(rule) for rule in list_rules(session, int(job_id))])

    @web.authenticated
    @authorized
    def post(self, job_id: str) -> None:
        text = _string(self.json_body(), "text")
        with self.project.store.session(write=True) as session:
            self.reply(rule_to_dict(add_rule(session, int(job_id), text)), status=201)


class RuleHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def delete(self, rule_id: str) -> None:
        with self.project.store.session(write=True) as session:
            self.reply(rule_to_dict(remove_rule(session, int(rule_id))))


class AlertsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        with self.project.store.session() as session:
            found = list_alerts(
                session,
                job_id=self.whole_number_argument("job"),
                run_id=self.whole_number_argument("run"),
                status=self.get_query_argument("status", None),
                limit=self.whole_number_argument("limit", 100) or 1,
            )
            self.reply([alert_to_dict(alert) for alert in found])


class AlertCountsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        with self.project.store.session() as session:
            counts = open_alert_counts(session)
        self.reply({str(job_id): count for job_id, count in counts.items()})


class AcknowledgeHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def post(self, alert_id: str) -> None:
        user = self.current_user.username if self.current_user else None
        with self.project.store.session(write=True) as session:
            (alert,) = acknowledge(session, [int(alert_id)], user)
            self.reply(alert_to_dict(alert))


class TargetsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        with self.project.store.session() as session:
            self.reply([target_to_dict(t) for t in list_targets(session, int(job_id))])

    @web.authenticated
    @authorized
    def post(self, job_id: str) -> None:
        body = self.json_body()
        events = body.get("events", ["failure", "alert"])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise InvalidInputError("'events' must be a list of event names.", field="events")
        with self.project.store.session(write=True) as session:
            target = add_target(
                session,
                int(job_id),
                _string(body, "channel"),
                _string(body, "destination"),
                events,
            )
            self.reply(target_to_dict(target), status=201)


class TargetHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def delete(self, target_id: str) -> None:
        with self.project.store.session(write=True) as session:
            self.reply(target_to_dict(remove_target(session, int(target_id))))


class NotificationsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        with self.project.store.session() as session:
            found = list_notifications(
                session,
                job_id=self.whole_number_argument("job"),
                status=self.get_query_argument("status", None),
                limit=self.whole_number_argument("limit", 50) or 1,
            )
            self.reply([notification_to_dict(n) for n in found])


class RetryHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def post(self, notification_id: str) -> None:
        with self.project.store.session(write=True) as session:
            self.reply(notification_to_dict(retry_now(session, int(notification_id), utcnow())))


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
