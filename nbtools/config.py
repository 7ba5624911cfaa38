"""Configuration shared by the CLI and the server extension, declared once as traitlets.

In a Jupyter config file: ``c.NbtoolsSettings.db_url = "postgresql+psycopg://..."``; in the
environment ``$NBTOOLS_ROOT``, ``$NBTOOLS_STORE_DIR``, ``$NBTOOLS_DB_URL``; on the command line
``nbtools --root``/``--db-url``/``--actor``. :mod:`nbtools.settings` reads them in that order.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, ClassVar

from traitlets import CaselessStrEnum, Float, HasTraits, TraitError, Unicode

from nbtools.ids import MAX_INT_COLUMN

#: The environment variable naming who acts (CI service accounts): ``NbtoolsSettings.actor``.
ACTOR_VARIABLE = "NBTOOLS_ACTOR"
#: The longest name of who acts the store keeps as it is (the length of its actor columns).
MAX_ACTOR = 255
#: The environment variable naming a kernel's purpose: set for every job run
#: (:mod:`nbtools.jobs.runner`), read by ``nbtools.data.path`` (docs/governance.md).
PURPOSE_VARIABLE = "NBTOOLS_PURPOSE"
#: The environment variable naming the file where ``nbtools.data.path`` appends each use of a
#: dataset: set for every job run (:mod:`nbtools.jobs.runner`) to :data:`DATA_USES_FILE` in
#: the run's output directory, read when the run ends (:mod:`nbtools.data.events`).
DATA_USES_VARIABLE = "NBTOOLS_DATA_USES"
#: The name of that file (hidden: it is not an output anyone downloads).
DATA_USES_FILE = ".data-uses.jsonl"
#: The environment variable naming the run a job run's kernel executes (its id): set for every
#: job run (:mod:`nbtools.jobs.runner`), read by ``nbtools.data.path`` to audit a refused use
#: that the run's record cannot hold (docs/governance.md).
RUN_ID_VARIABLE = "NBTOOLS_RUN_ID"
#: The longest number of seconds an option may give (≈ 68 years): :class:`Number`.
LONGEST_SECONDS = float(MAX_INT_COLUMN)


class Refused(TraitError):
    """A trait's refusal of a value, saying why (``$SCORER_KEY is empty or unset``): the
    message naming where the value was set keeps the reason
    (:func:`nbtools.settings.validated`), as it does not keep traitlets' own wording."""


class Number(Float):  # type: ignore[type-arg]
    """A float option: a finite number (never ``nan`` or ``inf``, which compare false with any
    bound) within the trait's ``min`` and ``max``.

    Every option of this kind is a number of seconds, so ``max`` is :data:`LONGEST_SECONDS`
    unless given: a wait or a date that far ahead is still one Python computes (a poll of
    1e10 s made ``threading.Event.wait`` raise and the scheduler's loop die).
    """

    info_text = "a finite number"

    def __init__(self, default_value: Any = 0.0, **kwargs: Any) -> None:
        kwargs.setdefault("max", LONGEST_SECONDS)
        super().__init__(default_value, **kwargs)

    def validate(self, obj: Any, value: Any) -> float:
        value = super().validate(obj, value)
        if not math.isfinite(value):
            self.error(obj, value)
        return float(value)


#: The Unicode categories of characters no actor's name shows: control characters (line
#: breaks, tabs, terminal escapes), format characters (zero-width spaces, direction
#: overrides), line and paragraph separators. Recorded, a name holding one reads as another
#: name, or splits a line of the trail in two.
UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def is_unseen(char: str) -> bool:
    """Whether ``char`` is one of :data:`UNSEEN_CATEGORIES`."""
    return unicodedata.category(char) in UNSEEN_CATEGORIES


def actor_problem(name: str) -> str | None:
    """Why ``name`` names no one as written, or None: it is blank, begins or ends with
    whitespace (``'ana '`` is not ``'ana'``, whom ``audit list --actor ana`` finds), or holds
    a character of :data:`UNSEEN_CATEGORIES`."""
    if not name.strip():
        return "it names no one: it is blank"
    if name != name.strip():
        return "it begins or ends with whitespace, which would be recorded with it"
    unseen = [f"U+{ord(char):04X}" for char in dict.fromkeys(name) if is_unseen(char)]
    if unseen:
        return (
            f"it holds {', '.join(unseen)}: a control, zero-width or line-break character, "
            "which would be recorded without showing"
        )
    return None


class ActorName(Unicode):  # type: ignore[type-arg]
    """Who acts, as an option sets it: at most :data:`MAX_ACTOR` characters of UTF-8 text
    naming someone as written (:func:`actor_problem`), so that what is recorded is the name
    given (a longer one, a blank one, one with surrounding spaces or characters that do not
    show, or one typed with bytes that are not UTF-8, is refused where it is given: a flag, a
    variable, a config file); empty: not set."""

    info_text = f"text of at most {MAX_ACTOR} characters"

    def validate(self, obj: Any, value: Any) -> str:
        text: str = super().validate(obj, value)
        if len(text) > MAX_ACTOR:
            raise TraitError(
                f"The {self.name!r} trait expected {self.info_text}, not {len(text)} characters."
            )
        from nbtools.jsonplaces import encodable  # not at import: `nbtools --help` needs none

        if not encodable(text):
            raise Refused(
                "it holds a lone surrogate (what bytes that are not UTF-8 are read as), which "
                "no UTF-8 text holds"
            )
        problem = actor_problem(text) if text else None
        if problem is not None:
            raise Refused(problem)
        return text


class StoreUrl(Unicode):  # type: ignore[type-arg]
    """An nbtools store URL (empty: none), refused unless nbtools can use it: malformed, or for
    a dialect or driver SQLAlchemy does not have. Checked without SQLAlchemy, which a command
    imports only if it opens the store (:mod:`nbtools.store.url`); whether the driver's package
    is installed and the store opens is known when it is opened."""

    info_text = "a database URL nbtools can use"

    def validate(self, obj: Any, value: Any) -> str:
        text: str = super().validate(obj, value)
        if text:
            from nbtools.store.url import url_problem

            problem = url_problem(text)
            if problem is not None:
                raise Refused(problem)
        return text


class Settings(HasTraits):
    """A group of options: its traits tagged ``config=True``, given their values by
    :func:`nbtools.settings.build`. Each feature's class derives from it (``JobsSettings``,
    ``MetricsSettings``, ...)."""

    #: Prefix of the options' environment variables (an option's ``env`` tag overrides it).
    env_prefix: ClassVar[str] = "NBTOOLS_"


class NbtoolsSettings(Settings):
    """Where the project lives and where its state is stored."""

    env_prefix: ClassVar[str] = "NBTOOLS_"

    root_dir = Unicode(
        "",
        help="Project root. Default: the Jupyter server's root directory; for the CLI, the "
        "project holding the current directory, found by its store directory (the nearest "
        "directory at or above it holding .nbtools/; for a store elsewhere, the root it "
        "records), else the current directory.",
    ).tag(config=True, env="NBTOOLS_ROOT")

    store_dir = Unicode(
        ".nbtools",  # nbtools.paths.DEFAULT_STORE_DIR, which `nbtools --help` does not import
        help="Directory holding nbtools' state (database, objects, run outputs), relative to "
        "the root unless absolute. Inside the root, it marks the project's root; elsewhere, it "
        "records the one root it serves.",
    ).tag(config=True)

    db_url = StoreUrl(
        "",
        help="SQLAlchemy URL of the job and version store. Default: a SQLite file "
        "nbtools.db in the store directory. Example: postgresql+psycopg://user@host/nbtools",
    ).tag(config=True)

    actor = ActorName(
        "",
        help="Who acts, as recorded on jobs, runs, versions and in the audit trail (a CI "
        "service account, say). Default: $JUPYTERHUB_USER, else the operating-system user. "
        "The server records the authenticated Jupyter user instead, and this for a plain token "
        "login, which names no one.",
    ).tag(config=True, env=ACTOR_VARIABLE)


#: The transports: none (off), a JSON-lines file, or HTTP POSTs (Marquez's API, DataHub, ...).
TRANSPORTS = ("", "file", "http")


class OpenLineageSettings(Settings):
    """OpenLineage run events of job runs (docs/lineage.md#openlineage). Read in every process
    that executes runs (server, scheduler daemon, ``nbtools run``, Dask workers): set them in
    the environment, or in the config file of ``$NBTOOLS_CONFIG``."""

    env_prefix: ClassVar[str] = "NBTOOLS_OPENLINEAGE_"

    transport = CaselessStrEnum(
        TRANSPORTS,
        default_value="",
        help="Where run events go: 'file' (one JSON event a line, appended to `file`), 'http' "
        "(POSTed to `url`), or '' (the default): where openlineage-python's own configuration "
        "says (openlineage.yml, $OPENLINEAGE_URL), off without one.",
    ).tag(config=True)

    file = Unicode(
        "", help="With transport 'file': the JSON-lines file events are appended to."
    ).tag(config=True)

    url = Unicode(
        "", help="With transport 'http': the receiver's base URL, e.g. http://marquez:5000."
    ).tag(config=True)

    endpoint = Unicode(
        "api/v1/lineage", help="With transport 'http': the path events are POSTed to."
    ).tag(config=True)

    namespace = Unicode("nbtools", help="The OpenLineage namespace of this project's jobs.").tag(
        config=True
    )

    timeout_seconds = Number(
        5.0,
        min=0.001,
        help="Seconds one HTTP delivery may take before it counts as failed (logged).",
    ).tag(config=True)
