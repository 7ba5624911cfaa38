"""Tagged notebook cells → a tested Python package (see docs/export.md).

Pipeline: :mod:`cells` (tags and nbdev directives) → :mod:`plan` (parsing, name resolution,
problems) → :mod:`render` (files) → :mod:`writer` (manifest-guarded writes, staleness checks) →
:mod:`testrun` (pytest in a subprocess). :mod:`api` ties them together for the CLI and REST.
"""
