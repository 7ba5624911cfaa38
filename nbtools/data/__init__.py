"""The data catalog: datasets declared with a location, classification, purposes and
retention, their schema read from the data, and ranked full-text search.

In a notebook::

    import nbtools.data
    df = pd.read_csv(nbtools.data.path("customers"))    # recorded as an input of the run
    with nbtools.data.open("scores", "w") as f: ...     # recorded as an output

Service face (each function takes a :class:`~nbtools.project.Project` and owns its
transaction; the REST handlers and ``nbtools data`` call only these)::

    from nbtools import data

    spec = data.dataset_spec(project, "customers", {"location": "data/customers.csv",
                                                    "classification": "personal"})
    data.add_dataset(project, spec)                # -> Dataset (schema read from the file)
    data.edit_dataset(project, "customers", {"purposes": ["churn-model"]})
    data.get_dataset(project, "customers"); data.list_datasets(project, tag="crm")
    data.page_datasets(project, offset=50, limit=50)   # -> DatasetsPage (with the total)
    data.shared_locations(project)                 # -> {location: [names]} kept from before
    data.search_datasets(project, "payment")       # -> [Dataset], best first
    data.usage_report(project, "customers")        # -> UsageReport: what derives from it
    data.sync_catalog(project)                     # datasets.yaml -> the store
    data.check_notebook(project, nb, path)         # -> DataCheck: the datasets it uses
    data.names_no_data(nb)                         # -> True: the check would read no cell

Importing this package costs nothing: every name is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.lazy import loader

if TYPE_CHECKING:  # ``X as X``: the face's names, re-exported for type checkers
    from nbtools.data.catalog import DECLARED_FIELDS as DECLARED_FIELDS
    from nbtools.data.catalog import MAX_PAGE as MAX_PAGE
    from nbtools.data.catalog import Dataset as Dataset
    from nbtools.data.catalog import DatasetsPage as DatasetsPage
    from nbtools.data.catalog import DatasetSpec as DatasetSpec
    from nbtools.data.catalog import add_dataset as add_dataset
    from nbtools.data.catalog import dataset_spec as dataset_spec
    from nbtools.data.catalog import edit_dataset as edit_dataset
    from nbtools.data.catalog import get_dataset as get_dataset
    from nbtools.data.catalog import list_datasets as list_datasets
    from nbtools.data.catalog import page_datasets as page_datasets
    from nbtools.data.catalog import remove_dataset as remove_dataset
    from nbtools.data.catalogfile import CATALOG_FILE as CATALOG_FILE
    from nbtools.data.catalogfile import export_catalog as export_catalog
    from nbtools.data.catalogfile import sync_catalog as sync_catalog
    from nbtools.data.check import DataCheck as DataCheck
    from nbtools.data.check import check_notebook as check_notebook
    from nbtools.data.check import enforce_rule as enforce_rule
    from nbtools.data.detect import scan as scan
    from nbtools.data.fields import CLASSIFICATIONS as CLASSIFICATIONS
    from nbtools.data.fields import is_url as is_url
    from nbtools.data.fields import parse_name as parse_name
    from nbtools.data.mentions import names_no_data as names_no_data
    from nbtools.data.notebook import open, path
    from nbtools.data.search import MAX_SEARCH_LIMIT as MAX_SEARCH_LIMIT
    from nbtools.data.search import search_datasets as search_datasets
    from nbtools.data.sharing import shared_locations as shared_locations
    from nbtools.data.usage import Purge as Purge
    from nbtools.data.usage import UsageReport as UsageReport
    from nbtools.data.usage import dataset_usage as dataset_usage
    from nbtools.data.usage import purge_outputs as purge_outputs
    from nbtools.data.usage import usage_report as usage_report

#: The names loaded on first use: name → (module, attribute).
_LAZY = {
    **{
        name: ("catalog", name)
        for name in (
            "DECLARED_FIELDS",
            "Dataset",
            "DatasetSpec",
            "DatasetsPage",
            "MAX_PAGE",
            "add_dataset",
            "dataset_spec",
            "edit_dataset",
            "get_dataset",
            "list_datasets",
            "page_datasets",
            "remove_dataset",
        )
    },
    "CATALOG_FILE": ("catalogfile", "CATALOG_FILE"),
    "export_catalog": ("catalogfile", "export_catalog"),
    "sync_catalog": ("catalogfile", "sync_catalog"),
    "DataCheck": ("check", "DataCheck"),
    "check_notebook": ("check", "check_notebook"),
    "enforce_rule": ("check", "enforce_rule"),
    "names_no_data": ("mentions", "names_no_data"),
    "scan": ("detect", "scan"),
    "CLASSIFICATIONS": ("fields", "CLASSIFICATIONS"),
    "is_url": ("fields", "is_url"),
    "parse_name": ("fields", "parse_name"),
    "open": ("notebook", "open"),
    "path": ("notebook", "path"),
    "MAX_SEARCH_LIMIT": ("search", "MAX_SEARCH_LIMIT"),
    "search_datasets": ("search", "search_datasets"),
    "shared_locations": ("sharing", "shared_locations"),
    "Purge": ("usage", "Purge"),
    "UsageReport": ("usage", "UsageReport"),
    "dataset_usage": ("usage", "dataset_usage"),
    "purge_outputs": ("usage", "purge_outputs"),
    "usage_report": ("usage", "usage_report"),
}

#: What ``from nbtools.data import *`` gives a notebook: the in-notebook API only.
__all__ = ["open", "path"]


__getattr__ = loader(__name__, _LAZY)
