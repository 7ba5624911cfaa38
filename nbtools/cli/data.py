"""``nbtools data add|edit|remove|list|show|search|sync|export``: the data catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from nbtools.cli.confirm import confirm
from nbtools.cli.context import CliContext
from nbtools.cli.decorators import CommandFunction, json_option, pass_cli, reads_only
from nbtools.cli.groups import Group
from nbtools.cli.options import limit_option
from nbtools.cli.output import print_fields, print_json, print_table, visible
from nbtools.cli.paths import root_relative_location, root_relative_option
from nbtools.data import CLASSIFICATIONS, MAX_SEARCH_LIMIT
from nbtools.errors import CheckFailedError

if TYPE_CHECKING:
    from nbtools.data import Dataset, Purge, UsageReport


def declaration_options(function: CommandFunction) -> CommandFunction:
    """Options shared by ``add`` and ``edit`` (``None`` or empty means "not given")."""
    for option in reversed(
        [
            click.option("--description", help="What the data holds, in words people search."),
            click.option("--tag", "tags", multiple=True, help="A tag (repeat for several)."),
            click.option(
                "--classification",
                type=click.Choice(CLASSIFICATIONS),
                help="public, internal (the default), personal (GDPR personal data) or "
                "sensitive (its special categories).",
            ),
            click.option(
                "--purpose",
                "purposes",
                multiple=True,
                help="A purpose the data may be used for, e.g. churn-model (repeat for several).",
            ),
            click.option(
                "--retention", help="How long runs may keep data derived from it: 90d, 12w, 1y."
            ),
            click.option("--owner", help="Who answers for the data (a person or a team)."),
        ]
    ):
        function = option(function)
    return function


def _declared(options: dict[str, Any]) -> dict[str, Any]:
    declared = {
        key: options[key]
        for key in ("location", "description", "classification", "retention", "owner")
        if options.get(key) is not None
    }
    for key in ("tags", "purposes"):
        if options.get(key):
            declared[key] = list(options[key])
        if options.get(f"clear_{key}"):
            declared[key] = []
    return declared


def _print_dataset(dataset: Dataset, as_json: bool) -> None:
    if as_json:
        print_json(dataset.to_dict())
        return
    from nbtools.data import DECLARED_FIELDS

    described = dataset.to_dict()
    schema = described["schema"]
    # tags and purposes as the words people type, comma-separated
    declared = {
        field: ", ".join(described[field])
        if isinstance(described[field], list)
        else described[field]
        for field in DECLARED_FIELDS
    }
    print_fields(
        f"Dataset {dataset.name}",
        {
            "name": described["name"],
            **declared,
            "schema note": described["schema_note"],
            "created": described["created_at"],
            "updated": described["updated_at"],
        },
    )
    if schema:
        print_table("Schema", ("column", "type"), [(f["name"], f["type"]) for f in schema])


@click.group(cls=Group)
def data() -> None:
    """The data catalog: declare datasets, find them by searching, sync datasets.yaml."""


@data.command("add")
@click.argument("name")
@click.argument("location", callback=root_relative_location)
@declaration_options
@json_option
@pass_cli
def add(cli_ctx: CliContext, /, name: str, as_json: bool, **options: Any) -> None:
    """Catalogue dataset NAME at LOCATION (a path inside the project or an fsspec URL); its
    schema is read from the data (CSV, Parquet, Arrow, JSON lines)."""
    from nbtools.data import add_dataset, dataset_spec

    project = cli_ctx.project
    dataset = add_dataset(project, dataset_spec(project, name, _declared(options)), cli_ctx.actor)
    _print_dataset(dataset, as_json)


@data.command("edit")
@click.argument("name")
@click.option(
    "--location",
    callback=root_relative_location,
    help="A new location (path inside the project or fsspec URL).",
)
@declaration_options
@click.option("--clear-tags", is_flag=True, help="Remove every tag (before --tag).")
@click.option("--clear-purposes", is_flag=True, help="Remove every purpose (before --purpose).")
@json_option
@pass_cli
def edit(cli_ctx: CliContext, /, name: str, as_json: bool, **options: Any) -> None:
    """Change dataset NAME: given options replace its values (--tag/--purpose replace the
    whole list); its schema is read again from the data, also when no option is given."""
    from nbtools.data import edit_dataset

    if options["clear_tags"] and options["tags"]:
        options["clear_tags"] = False
    if options["clear_purposes"] and options["purposes"]:
        options["clear_purposes"] = False
    _print_dataset(edit_dataset(cli_ctx.project, name, _declared(options), cli_ctx.actor), as_json)


@data.command("remove")
@click.argument("name")
@json_option
@pass_cli
def remove(cli_ctx: CliContext, name: str, as_json: bool) -> None:
    """Remove dataset NAME from the catalog (the data itself is left alone)."""
    from nbtools.data import remove_dataset

    removed = remove_dataset(cli_ctx.project, name, cli_ctx.actor)
    if as_json:
        print_json(removed.to_dict())
        return
    click.echo(f"Removed dataset {name} from the catalog.")


def _rows(datasets: list[Dataset]) -> list[tuple[Any, ...]]:
    return [
        (
            d.name,
            d.spec.classification,
            ", ".join(d.spec.purposes),
            d.spec.location,
            d.spec.description.splitlines()[0][:60] if d.spec.description else "",
        )
        for d in datasets
    ]


_COLUMNS = ("name", "classification", "purposes", "location", "description")


@data.command("list")
@click.option("--tag", help="Only datasets with this tag.")
@click.option("--classification", type=click.Choice(CLASSIFICATIONS), help="Only this level.")
@json_option
@pass_cli
@reads_only
def list_command(
    cli_ctx: CliContext, tag: str | None, classification: str | None, as_json: bool
) -> None:
    """List the catalog, by name; then the datasets sharing a location, if any (catalogued
    before one location held one dataset), on stderr."""
    from nbtools.data import list_datasets, shared_locations

    datasets = list_datasets(cli_ctx.project, tag=tag, classification=classification)
    if as_json:
        print_json([d.to_dict() for d in datasets])
        return
    print_table(
        f"Datasets ({len(datasets)})",
        _COLUMNS,
        _rows(datasets),
        empty="No datasets match."
        if tag or classification
        else "The catalog is empty: `nbtools data add NAME LOCATION` adds a dataset.",
    )
    for location, names in shared_locations(cli_ctx.project).items():
        click.echo(
            f"Note: {', '.join(names)} share the location {location} (catalogued before "
            "one location held one dataset): give each its own (data edit NAME --location) "
            "or remove the extra ones.",
            err=True,
        )


@data.command("show")
@click.argument("name")
@json_option
@pass_cli
@reads_only
def show(cli_ctx: CliContext, name: str, as_json: bool) -> None:
    """Show dataset NAME with the schema read from its data."""
    from nbtools.data import get_dataset

    _print_dataset(get_dataset(cli_ctx.project, name), as_json)


@data.command("search")
@click.argument("query")
@limit_option("datasets", default=20, most=MAX_SEARCH_LIMIT, first="the best first")
@json_option
@pass_cli
@reads_only
def search(cli_ctx: CliContext, query: str, limit: int, as_json: bool) -> None:
    """Find datasets by words of their name, description, tags and column names (every word
    must match; 'payment' also finds 'payments' and customer_payment_amount), best first."""
    from nbtools.data import search_datasets

    found = search_datasets(cli_ctx.project, query, limit)
    if as_json:
        print_json([{**d.to_dict(), "rank": d.rank} for d in found])
        return
    print_table(
        f"Datasets matching {query!r} ({len(found)})",
        _COLUMNS,
        _rows(found),
        empty=f"No dataset matches {query!r}.",
    )


file_option = click.option(
    "--file",
    "path",
    callback=root_relative_option,
    help="The catalog file, inside the project (default: datasets.yaml).",
)


@data.command("sync")
@file_option
@click.option("--prune", is_flag=True, help="Also remove datasets the file does not declare.")
@json_option
@pass_cli
def sync(cli_ctx: CliContext, path: str | None, prune: bool, as_json: bool) -> None:
    """Load datasets.yaml into the catalog: the file wins; running it again changes nothing."""
    from nbtools.data import sync_catalog

    report = sync_catalog(cli_ctx.project, path, prune=prune, actor=cli_ctx.actor)
    if as_json:
        print_json(report.to_dict())
        return
    if not (report.added or report.updated or report.unchanged):
        from nbtools.data import CATALOG_FILE

        changed = "" if report.removed else "; nothing changed"
        click.echo(visible(f"{path or CATALOG_FILE} declares no datasets{changed}."))
    for outcome, names in report.to_dict().items():
        if names:
            click.echo(f"{outcome.replace('_', ' ')}: {', '.join(names)}")
    if report.not_in_file:
        click.echo("(--prune removes the datasets not in the file)")


@data.command("export")
@file_option
@click.option(
    "--force", is_flag=True, help="Replace --file's file even if it is not a catalog file."
)
@json_option
@pass_cli
def export(cli_ctx: CliContext, path: str | None, force: bool, as_json: bool) -> None:
    """Write the catalog's declarations to datasets.yaml (schemas are read from the data),
    replacing an earlier catalog file; another file is kept unless --force."""
    from nbtools.data import export_catalog

    target = export_catalog(cli_ctx.project, path, force=force)
    shown = cli_ctx.project.relative(target)
    if as_json:
        print_json({"path": shown})
        return
    click.echo(f"Wrote {shown}.")


@data.command("check")
@click.argument("notebook", callback=root_relative_option)
@click.option("--purpose", help="The purpose the notebook would run for (e.g. churn-model).")
@json_option
@pass_cli
@reads_only
def check(cli_ctx: CliContext, notebook: str, purpose: str | None, as_json: bool) -> None:
    """List the datasets NOTEBOOK uses (nbtools.data.path with a literal name, or a literal
    path matching a dataset's location) and the undeclared data it reads directly; exit 2 when
    a use is refused for PURPOSE (the rule: docs/governance.md)."""
    from nbtools.data import check_notebook

    result = check_notebook(cli_ctx.project, notebook, purpose, enforce=False)
    if as_json:
        print_json(result.to_dict())
    else:
        print_table(
            f"Datasets used by {notebook} (purpose: {purpose or 'none'})",
            ("dataset", "classification", "purposes", "how", "cell", "line"),
            [
                (u.dataset, u.classification, ", ".join(u.purposes), u.how, u.cell + 1, u.line)
                for u in result.uses
            ],
            empty=(
                f"No catalogued dataset found in {notebook}, but the check could not read all "
                "of it (below)."
                if result.unreadable or result.unresolved or result.language
                else f"{notebook} uses no catalogued dataset."
            ),
        )
        for line in result.warnings():
            click.echo(line)
    result.refuse()


def _print_usage(report: UsageReport) -> None:
    from nbtools.cli.runs import describe_erased

    name = report.dataset
    print_table(
        f"Runs derived from {name} ({len(report.runs)})",
        ("run", "job", "mode", "status", "notebook", "version id", "files"),
        [
            (
                r.run_id,
                r.job_id,
                r.mode,
                r.status,
                r.notebook_path,
                r.notebook_version_id,
                "\n".join(
                    [*filter(None, [describe_erased(r.purged_at, r.pruned_at)]), *r.files.values()]
                ),
            )
            for r in report.runs
        ],
        empty=f"No run read or wrote {name}.",
    )
    print_table(
        f"Jobs using {name} ({len(report.jobs)})",
        ("job", "name", "notebook", "purpose", "archived", "evidence"),
        [
            (j.job_id, j.name, j.notebook_path, j.purpose, j.archived, ", ".join(j.evidence))
            for j in report.jobs
        ],
        empty=f"No job used {name}, and no job's notebook names it.",
    )
    print_table(
        f"Packages extracted from notebooks naming {name} ({len(report.packages)})",
        ("package", "notebook", "version"),
        [(p.output, p.notebook_path, p.version_number) for p in report.packages],
        empty=f"No package was extracted from a notebook naming {name}.",
    )
    print_table(
        f"Notebook versions ({len(report.versions)})",
        ("version id", "notebook", "number", "evidence"),
        [(v.version_id, v.notebook_path, v.number, ", ".join(v.evidence)) for v in report.versions],
        empty=f"No notebook version names {name}.",
    )


@data.command("usage")
@click.argument("name")
@click.option("--purge", is_flag=True, help="Delete those runs' output files (asks first).")
@click.option("--yes", is_flag=True, help="With --purge: do not ask for confirmation.")
@json_option
@pass_cli
@reads_only
def usage(cli_ctx: CliContext, name: str, purge: bool, yes: bool, as_json: bool) -> None:
    """List every run that read or wrote dataset NAME (also after it left the catalog), with
    its notebook version and the output files that may hold the data, the jobs whose runs used
    it or whose notebook names it, the packages extracted from a notebook version naming it,
    and those notebook versions; --purge deletes the runs' output files and artifacts (the
    runs stay in the history) and records it in the audit trail."""
    from nbtools.data import dataset_usage, purge_outputs, usage_report

    if not purge:
        report = usage_report(cli_ctx.project, name)
        if as_json:
            print_json(report.to_dict())
            return
        _print_usage(report)
        return
    runs = dataset_usage(cli_ctx.project, name)
    pending = [run for run in runs if run.ended and (run.files or not run.erased)]
    files = sorted({location for run in pending for location in run.files.values()})
    if pending and not yes:
        count = len({run.run_id for run in pending})
        what = f"the output files ({len(files)}) and artifacts of the {count} run(s)"
        doing = f"Deleting {what} derived from {name}"
        confirm(f"Delete {what} derived from {name}?", doing, as_json=as_json)
    purged = purge_outputs(cli_ctx.project, name, cli_ctx.actor)
    if as_json and purged.unfinished:
        raise _incomplete(purged)  # the purge in its details, one JSON answer
    if as_json:
        print_json(purged.to_dict())
    elif not runs:
        click.echo(f"Nothing to delete: no run read or wrote {name}.")
    elif not purged.runs and not purged.files and not purged.unfinished:
        click.echo(f"Nothing to delete: the outputs of the runs derived from {name} are gone.")
    else:
        click.echo(
            f"Deleted {len(purged.files)} output file(s) and {len(purged.artifacts)} artifact "
            f"file(s) of {len(purged.runs)} run(s); the runs stay in the history, marked purged."
        )
    if purged.unfinished:
        raise _incomplete(purged)


def _incomplete(purged: Purge) -> CheckFailedError:
    """The refusal to call a purge complete while runs that used the data have not ended
    (exit 1): their outputs are still being written. Its details hold the purge (but the
    dataset: a refusal naming NAME's value would be read as one of NAME)."""
    ids = purged.unfinished
    if len(ids) == 1:
        runs = f"run {ids[0]} is still running (or queued) and used {purged.dataset}; its"
        again = f"it has ended (nbtools runs cancel {ids[0]} stops it)"
    else:
        listed = ", ".join(str(run_id) for run_id in ids)
        runs = f"runs {listed} are still running (or queued) and used {purged.dataset}; their"
        again = "they have ended (nbtools runs cancel ID stops one)"
    details = {key: value for key, value in purged.to_dict().items() if key != "dataset"}
    return CheckFailedError(
        f"The purge is not complete: {runs} outputs, still being written, are not erased. "
        f"Run the purge again once {again}.",
        **details,
    )
