"""What a rule says of its job's latest finished run: whether it fires there, and why.

A rule is evaluated when a run finishes, so one added now says nothing until the next run.
This check evaluates it at once on the latest finished run (with the earlier ones a change
rule compares with), exactly as that run's end would have, without raising an alert: adding
``accuracy < 0.9`` says "it fires on run 12: accuracy is 0.8 in run 12", or that it does not.
``late`` rules watch the clock, not a run, and get no check.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from nbtools.jobs.tables import FINAL_STATES, Run
from nbtools.metrics.errors import RuleSyntaxError
from nbtools.metrics.monitor import load_facts
from nbtools.metrics.rule_parser import parse_rule
from nbtools.metrics.rules import (
    MAX_WINDOW,
    Change,
    Finding,
    Late,
    Rule,
    RuleFailure,
    evaluate_run,
)
from nbtools.metrics.tables import Alert, AlertRule
from nbtools.metrics.views import LatestRunCheck


def latest_run_checks(session: Session, rules: Sequence[AlertRule]) -> dict[int, LatestRunCheck]:
    """By rule id, what each of ``rules`` says of its job's latest finished run; rules of a
    job without one, ``late`` rules, and a rule stored by an older version that no longer
    parses (its error is the rule's own), get none. Per job, one query for its runs (the
    latest alone unless a change rule compares it with earlier ones, as the run's end did),
    one for their metrics and one for the alerts raised on it."""
    checks: dict[int, LatestRunCheck] = {}
    by_job: dict[int, list[tuple[AlertRule, Rule]]] = {}
    for rule in rules:
        try:
            parsed = parse_rule(rule.text)
        except RuleSyntaxError:
            continue
        if not isinstance(parsed, Late):
            by_job.setdefault(rule.job_id, []).append((rule, parsed))
    for job_id, job_rules in by_job.items():
        compares = any(isinstance(parsed, Change) for _rule, parsed in job_rules)
        runs = session.execute(
            select(Run.id, Run.status, Run.parameters)
            .where(Run.job_id == job_id, Run.status.in_(FINAL_STATES))
            .order_by(Run.id.desc())
            .limit(MAX_WINDOW + 1 if compares else 1)
        ).all()
        if not runs:
            continue
        latest, *previous = load_facts(
            session, [(run.id, run.status, run.parameters) for run in runs]
        )
        raised = dict(  # the alerts these rules raised when that run ended
            session.execute(
                select(Alert.rule_id, Alert.id).where(
                    Alert.run_id == latest.run_id,
                    Alert.rule_id.in_([rule.id for rule, _parsed in job_rules]),
                )
            )
            .tuples()
            .all()
        )
        for rule, parsed in job_rules:
            outcome = evaluate_run(parsed, latest, previous)
            alert = raised.get(rule.id)
            if isinstance(outcome, Finding):
                checks[rule.id] = LatestRunCheck(latest.run_id, "fires", outcome.message, alert)
            elif isinstance(outcome, RuleFailure):
                checks[rule.id] = LatestRunCheck(latest.run_id, "error", outcome.message, alert)
            else:
                checks[rule.id] = LatestRunCheck(latest.run_id, "quiet", None, alert)
    return checks
