"""Lineage: which notebook version and environment produced each run and each package.

Runs record both when they start (the ``run_started`` event, :mod:`.events`); this package
describes that lineage (:mod:`.runs`), re-executes a run exactly (:mod:`.reproduce`, as a
run pinned to its version, :mod:`nbtools.jobs.pinned`), records it for extracted packages
(:mod:`.extraction`) and finds the environment of a notebook's last good run
(:mod:`.production`).
"""
