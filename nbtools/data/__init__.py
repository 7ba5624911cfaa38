"""The data catalog: datasets declared with a location, classification, purposes and
retention, their schema read from the data, and ranked full-text search.

Service face (each function takes a :class:`~nbtools.project.Project` and owns its
transaction)::

    from nbtools.data import catalog, search, catalogfile

    spec = catalog.dataset_spec(project, "customers", {"location": "data/customers.csv",
                                                       "classification": "personal"})
    catalog.add_dataset(project, spec)            # -> Dataset (schema read from the file)
    catalog.edit_dataset(project, "customers", {"purposes": ["churn-model"]})
    search.search_datasets(project, "payment")    # -> [Dataset], best first
    catalogfile.sync_catalog(project)             # datasets.yaml -> the store

Nothing is imported here: ``nbtools.data`` is also imported inside notebooks' kernels.
"""
