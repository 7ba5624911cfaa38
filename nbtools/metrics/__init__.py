"""Monitoring: metrics recorded by notebooks, rules over them, alerts and notifications.

Kept light: ``nbtools.record`` imports only :mod:`nbtools.metrics.record` and
:mod:`nbtools.metrics.values`, which use the standard library alone.
"""
