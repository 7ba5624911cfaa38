"""Alert rules, alerts, notification targets and deliveries of jobs.

``/jobs/<id>/rules`` (GET, POST ``{"text"}``), ``/rules/<id>`` (DELETE), ``/alerts`` (GET),
``/alerts/counts`` (GET: open alerts per job), ``/alerts/<id>/ack`` (POST),
``/jobs/<id>/notifications`` (GET, POST ``{"channel", "destination", "events"}``),
``/notification-targets/<id>`` (DELETE), ``/notifications`` (GET: the outbox),
``/notifications/<id>/retry`` (POST).
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler, off_loop
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


class RulesHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, job_id: str) -> None:
        with self.project.store.session() as session:
            self.reply(
                [rule_to_dict(rule) for rule in list_rules(session, self.path_id(job_id, "job_id"))]
            )

    @web.authenticated
    @authorized
    @off_loop
    def post(self, job_id: str) -> None:
        job = self.path_id(job_id, "job_id")
        text = self.body_field(self.json_body(), "text", str, required=True)
        with self.project.store.session(write=True) as session:
            self.reply(rule_to_dict(add_rule(session, job, text, self.actor)), status=201)


class RuleHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def delete(self, rule_id: str) -> None:
        with self.project.store.session(write=True) as session:
            self.reply(
                rule_to_dict(remove_rule(session, self.path_id(rule_id, "rule_id"), self.actor))
            )


class AlertsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
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
    @off_loop
    def get(self) -> None:
        with self.project.store.session() as session:
            counts = open_alert_counts(session)
        self.reply({str(job_id): count for job_id, count in counts.items()})


class AcknowledgeHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def post(self, alert_id: str) -> None:
        with self.project.store.session(write=True) as session:
            (alert,) = acknowledge(session, [self.path_id(alert_id, "alert_id")], self.actor)
            self.reply(alert_to_dict(alert))


class TargetsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, job_id: str) -> None:
        with self.project.store.session() as session:
            self.reply(
                [target_to_dict(t) for t in list_targets(session, self.path_id(job_id, "job_id"))]
            )

    @web.authenticated
    @authorized
    @off_loop
    def post(self, job_id: str) -> None:
        job = self.path_id(job_id, "job_id")
        body = self.json_body()
        events = self.body_field(body, "events", list, ["failure", "alert"])
        if not all(isinstance(e, str) for e in events):
            raise InvalidInputError("'events' must be a list of event names.", field="events")
        with self.project.store.session(write=True) as session:
            target = add_target(
                session,
                job,
                self.body_field(body, "channel", str, required=True),
                self.body_field(body, "destination", str, required=True),
                events,
            )
            self.reply(target_to_dict(target), status=201)


class TargetHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def delete(self, target_id: str) -> None:
        with self.project.store.session(write=True) as session:
            self.reply(target_to_dict(remove_target(session, self.path_id(target_id, "target_id"))))


class NotificationsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
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
    @off_loop
    def post(self, notification_id: str) -> None:
        with self.project.store.session(write=True) as session:
            self.reply(
                notification_to_dict(
                    retry_now(session, self.path_id(notification_id, "notification_id"), utcnow())
                )
            )


ROUTES = [
    (r"/jobs/(?P<job_id>[^/]+)/rules", RulesHandler),
    (r"/rules/(?P<rule_id>[^/]+)", RuleHandler),
    (r"/alerts", AlertsHandler),
    (r"/alerts/counts", AlertCountsHandler),
    (r"/alerts/(?P<alert_id>[^/]+)/ack", AcknowledgeHandler),
    (r"/jobs/(?P<job_id>[^/]+)/notifications", TargetsHandler),
    (r"/notification-targets/(?P<target_id>[^/]+)", TargetHandler),
    (r"/notifications", NotificationsHandler),
    (r"/notifications/(?P<notification_id>[^/]+)/retry", RetryHandler),
]
