"""The server extension application: configuration and route registration."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Any as AnyTrait
from traitlets import Bool, Int

from jupyter_nbtools import store_guard
from jupyter_nbtools.handlers.base import DEFAULT_MAX_BODY_BYTES
from jupyter_nbtools.identity import SERVER_ACTOR
from jupyter_nbtools.jobs_service import JobsService
from jupyter_nbtools.previews import ServicePreviews
from jupyter_nbtools.routes import all_routes
from nbtools.audit import current_actor
from nbtools.config import NbtoolsSettings
from nbtools.envsnap.config import EnvSettings
from nbtools.errors import NbtoolsError
from nbtools.jobs.config import JobsSettings
from nbtools.metrics.config import MetricsSettings, NotificationSettings
from nbtools.metrics.service import MonitoringService
from nbtools.processes import stop_watched
from nbtools.project import Project
from nbtools.settings import (
    build,
    config_sections,
    in_file,
    layered_config,
    settings_classes,
    typed_flags,
)
from nbtools.unknown_settings import warn_unknown_sections, warn_unknown_variables


class NbtoolsApp(ExtensionApp):
    """Serves ``/nbtools/api/*`` for the JupyterLab extension."""

    name = "jupyter_nbtools"
    load_other_extensions = True

    project = AnyTrait(help="The nbtools Project for the server root (set at start-up).")

    record_versions = Bool(
        True,
        help="Record a version of a notebook on every save and serve versions as JupyterLab "
        "checkpoints (see docs/versions.md).",
    ).tag(config=True)

    max_body_bytes = Int(
        DEFAULT_MAX_BODY_BYTES,
        help="The largest request body (in bytes) the nbtools REST API accepts; a larger one "
        "is answered 413 naming this setting.",
    ).tag(config=True)

    max_service_previews = Int(
        8,
        help="Service previews (the Productionize wizard's Serve step, docs/serving.md) "
        "running at once; one more start is answered 409.",
    ).tag(config=True)

    worker_threads = Int(
        4,
        help="Threads that run the database and file work of nbtools requests, so the "
        "server's event loop never waits on it.",
    ).tag(config=True)

    def initialize_settings(self) -> None:
        """Read the settings and set the extension up, or stop the server: a bad setting
        (``--JobsSettings.workers=many``, a project root that does not exist) is one
        critical line naming it and where it was set, and the server exits 1, as it does
        for a bad setting of its own, rather than serve without nbtools (Jupyter only logs
        an extension's failure, with its traceback, and serves on)."""
        try:
            self._set_up()
        except NbtoolsError as error:
            self.log.critical(
                "%s | %s The server does not start: correct the setting, or disable the "
                "extension (jupyter server extension disable %s).",
                self.name,
                error.message,
                self.name,
            )
            raise SystemExit(1) from None

    def _set_up(self) -> None:
        assert self.serverapp is not None  # an extension is initialized by its server
        # Jupyter's config files, then $NBTOOLS_* variables, then the server's command line;
        # all read before anything starts, so a bad setting leaves nothing behind
        flags = typed_flags(self.serverapp.cli_config)
        base = config_sections(self.config, within=self.section_names())
        files = sorted({*self.serverapp.loaded_config_files, *self.loaded_config_files})
        where = "Jupyter's config files" + (f" ({', '.join(files)})" if files else "")
        config = layered_config(None, base=base, flags=flags, base_source=in_file(where))
        warn_unknown_variables(os.environ, settings_classes(), config)
        warn_unknown_sections(base)
        settings = build(NbtoolsSettings, config)
        metrics, notifications = build(MetricsSettings, config), build(NotificationSettings, config)
        jobs = build(JobsSettings, config)
        if jobs.run_scheduler:  # its workers start later, on the first run
            jobs.check_workers()
        # which index a pylock.toml export pins files of: the operator's choice (or pip's)
        self.settings["nbtools_env"] = build(EnvSettings, config)
        self.pool = ThreadPoolExecutor(max(1, self.worker_threads), "nbtools-request")
        self.settings["nbtools_pool"] = self.pool
        self.settings["nbtools_max_body_bytes"] = self.max_body_bytes
        # who a token login's made-up user acts as (jupyter_nbtools.identity)
        self.settings[SERVER_ACTOR] = current_actor(settings.actor or None)
        self.project = Project.from_settings(settings, default_root=Path(self.serverapp.root_dir))
        self.project.migrates_apart = True  # the server lives long: Alembic in a child
        self.settings["nbtools_project"] = self.project
        monitoring = MonitoringService(self.project, metrics, notifications)
        self.jobs = JobsService(self.project, jobs, monitoring)
        self.settings["nbtools_jobs"] = self.jobs
        self.previews = ServicePreviews(self.project, self.max_service_previews)
        self.settings["nbtools_previews"] = self.previews
        store_guard.install(self.serverapp.contents_manager, self.project)
        if self.record_versions:
            from jupyter_nbtools.checkpoints import install

            contents_manager = self.serverapp.contents_manager
            self.settings["nbtools_versions"] = install(contents_manager, self.project, self.log)
        self.log.info(
            "nbtools: project root %s, store %s", self.project.root, self.project.store_dir
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(all_routes())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Once the server serves (its event loop runs), start the scheduler if the project
        has a store, so that scheduled jobs run without anyone opening JupyterLab. Not while
        the extension loads: a server that then exits while it starts (run as root without
        --allow-root, its port taken) would leave a scheduler listed in the store, seemingly
        alive, that serves nothing."""
        self.jobs.start_if_in_use()

    async def stop_extension(self) -> None:
        # the server stops an extension whose start-up failed too: stop only what started
        if hasattr(self, "previews"):
            self.previews.stop_all()
        if hasattr(self, "jobs"):
            self.jobs.stop()
        if hasattr(self, "pool"):
            # a request's worker waits for the tool it runs (a recreate's pip, for minutes):
            # stopped, so that it ends now and cleans up after itself
            stop_watched()
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.project is not None:
            self.project.close()
