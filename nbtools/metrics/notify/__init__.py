"""Notifications: per-job targets, an outbox table, and a background sender (webhook, e-mail)."""
