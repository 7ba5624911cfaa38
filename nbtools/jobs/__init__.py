"""Production jobs: parametrized notebook runs, cron schedules, run history, executors."""
