"""The data catalog: datasets declared with a location, classification, purposes and
retention, their schema read from the data, and ranked full-text search.

In a notebook::

    import nbtools.data
    df = pd.read_csv(nbtools.data.path("customers"))    # recorded as an input of the run
    with nbtools.data.open("scores", "w") as f: ...     # recorded as an output

Service face (each function takes a :class:`~nbtools.project.Project` and owns its
transaction)::

    from nbtools.data import catalog, search, catalogfile

    spec = catalog.dataset_spec(project, "customers", {"location": "data/customers.csv",
                                                       "classification": "personal"})
    catalog.add_dataset(project, spec)            # -> Dataset (schema read from the file)
    catalog.edit_dataset(project, "customers", {"purposes": ["churn-model"]})
    search.search_datasets(project, "payment")    # -> [Dataset], best first
    catalogfile.sync_catalog(project)             # datasets.yaml -> the store

Importing this package costs nothing: ``path`` and ``open`` are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtools.data.notebook import open, path

__all__ = ["open", "path"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from nbtools.data import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'nbtools.data' has no attribute {name!r}")
