"""Alert rules, alerts, notification targets and deliveries of jobs.

``/jobs/<id>/rules`` (GET, POST ``{"text"}``), ``/rules/<id>`` (DELETE), ``/alerts`` (GET),
``/alerts/counts`` (GET: open alerts per job), ``/alerts/<id>/ack`` (POST),
``/jobs/<id>/notifications`` (GET, POST ``{"channel", "destination", "events"}``),
``/notification-targets/<id>`` (DELETE), ``/notifications`` (GET: the outbox),
``/notifications/<id>/retry`` (POST).
"""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools import metrics
from nbtools.errors import InvalidInputError
from nbtools.ids import MAX_ID, MAX_LIST


class RulesHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, job_id: str) -> None:
        self.reply(metrics.list_rules(self.project, self.path_id(job_id, "job_id")))

    @body_fields("text")
    @web.authenticated
    @authorized
    @off_loop
    def post(self, job_id: str) -> None:
        job = self.path_id(job_id, "job_id")
        text = self.body_field(self.json_body(), "text", str, required=True)
        self.reply(metrics.add_rule(self.project, job, text, self.actor), status=201)


class RuleHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def delete(self, rule_id: str) -> None:
        rule = self.path_id(rule_id, "rule_id")
        self.reply(metrics.remove_rule(self.project, rule, self.actor))


class AlertsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        found = metrics.list_alerts(
            self.project,
            job_id=self.whole_number_argument("job", most=MAX_ID),
            run_id=self.whole_number_argument("run", most=MAX_ID),
            status=self.get_query_argument("status", None),
            limit=self.whole_number_argument("limit", 100, least=1, most=MAX_LIST) or 100,
        )
        self.reply(found)


class AlertCountsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        counts = metrics.open_alert_counts(self.project)
        self.reply({str(job_id): count for job_id, count in counts.items()})


class AcknowledgeHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def post(self, alert_id: str) -> None:
        alert_number = self.path_id(alert_id, "alert_id")
        (alert,) = metrics.acknowledge_alerts(self.project, [alert_number], self.actor)
        self.reply(alert)


class TargetsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, job_id: str) -> None:
        self.reply(metrics.list_targets(self.project, self.path_id(job_id, "job_id")))

    @body_fields("channel", "destination", "events")
    @web.authenticated
    @authorized
    @off_loop
    def post(self, job_id: str) -> None:
        job = self.path_id(job_id, "job_id")
        body = self.json_body()
        events = self.body_field(body, "events", list, ["failure", "alert"])
        if not all(isinstance(e, str) for e in events):
            raise InvalidInputError("'events' must be a list of event names.", field="events")
        target = metrics.add_target(
            self.project,
            job,
            self.body_field(body, "channel", str, required=True),
            self.body_field(body, "destination", str, required=True),
            events,
            self.actor,
        )
        self.reply(target, status=201)


class TargetHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def delete(self, target_id: str) -> None:
        target = self.path_id(target_id, "target_id")
        self.reply(metrics.remove_target(self.project, target, self.actor))


class NotificationsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        found = metrics.list_notifications(
            self.project,
            job_id=self.whole_number_argument("job", most=MAX_ID),
            status=self.get_query_argument("status", None),
            limit=self.whole_number_argument("limit", 50, least=1, most=MAX_LIST) or 50,
        )
        self.reply(found)


class RetryHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def post(self, notification_id: str) -> None:
        notification = self.path_id(notification_id, "notification_id")
        self.reply(metrics.retry_notification(self.project, notification, self.actor))


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
