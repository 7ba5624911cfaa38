"""Optional imports nbtools' own processes never need, kept out of them.

Libraries nbtools uses import some packages only for features nbtools does not use, and two of
them cost a lot when they are installed: jsonschema imports ``rfc3987_syntax`` for its "iri"
format check, which builds a Lark grammar at import time (about a second; nbformat imports
jsonschema, papermill imports nbformat), and papermill imports ``pyarrow`` (with numpy, about
40 MiB) for hdfs:// paths. Both imports are optional there: the libraries expect and handle the
ImportError. Only processes nbtools owns skip them (its command line, its local workers); a
Jupyter server or a Dask worker, which run other code too, never do. Notebooks run in kernels,
which are other processes.
"""

from __future__ import annotations

import sys

UNUSED = ("rfc3987_syntax", "pyarrow")


def skip_unused_imports() -> None:
    """Make importing the :data:`UNUSED` modules raise ImportError in this process."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
