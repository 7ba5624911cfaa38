"""The command tree: names, where each command lives and its one-line help.

Commands are imported only when invoked, so ``nbtools --help`` stays fast.
"""


class CommandEntry:
    """Where a command lives (``module``, ``attribute``) and its one-line ``summary``; a
    ``service`` runs until stopped, and any stop of it is graceful (exit 0)."""

    __slots__ = ("attribute", "module", "service", "summary")

    def __init__(self, module: str, attribute: str, summary: str, *, service: bool = False) -> None:
        self.module, self.attribute, self.summary = module, attribute, summary
        self.service = service


COMMANDS: dict[str, CommandEntry] = {
    "alerts": CommandEntry(
        "nbtools.cli.alerts", "alerts", "Alerts of jobs: list, ack, rules, notifications."
    ),
    "audit": CommandEntry(
        "nbtools.cli.audit", "audit", "The audit trail: who changed, ran or was refused what."
    ),
    "data": CommandEntry(
        "nbtools.cli.data", "data", "The data catalog: add, search, show, sync datasets.yaml."
    ),
    "env": CommandEntry(
        "nbtools.cli.env", "env", "Snapshot, compare, export and recreate kernel environments."
    ),
    "extract": CommandEntry(
        "nbtools.cli.extract",
        "extract",
        "Extract tagged cells into a tested package (--check for CI).",
    ),
    "init": CommandEntry(
        "nbtools.cli.init", "init", "Write a starter kit: tagged notebook, CI workflow, pre-commit."
    ),
    "metrics": CommandEntry(
        "nbtools.cli.metrics", "metrics", "Metrics recorded by runs: show a run, a job's series."
    ),
    "serve": CommandEntry(
        "nbtools.cli.serve",
        "serve",
        "Serve an extracted package's functions over HTTP.",
        service=True,
    ),
    "status": CommandEntry(
        "nbtools.cli.status", "status", "Show the project root, store and schema revision."
    ),
    "store": CommandEntry(
        "nbtools.cli.store",
        "store",
        "The project's store: copy it into another database (SQLite to PostgreSQL).",
    ),
    "run": CommandEntry(
        "nbtools.cli.run", "run", "Run a notebook once with parameters, recorded in the store."
    ),
    "runs": CommandEntry("nbtools.cli.runs", "runs", "List, show, cancel or rerun runs."),
    "schedule": CommandEntry(
        "nbtools.cli.schedule", "schedule", "Create and manage jobs on cron schedules."
    ),
    "scheduler": CommandEntry(
        "nbtools.cli.scheduler",
        "scheduler",
        "Run the scheduler daemon (jobs and queued runs).",
        service=True,
    ),
    "version": CommandEntry(
        "nbtools.cli.version",
        "version",
        "Notebook versions: save, log, diff, show, restore, gc, verify.",
    ),
}
