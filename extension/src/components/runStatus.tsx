import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Run, RunStatus } from '../api';
import { formatTime } from './dates';

/** A run's state in words (`timed out`, not `timed_out`), as the CLI and notifications say it. */
export function runStatusText(status: RunStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'succeeded':
      return trans.__('succeeded');
    case 'failed':
      return trans.__('failed');
    case 'timed_out':
      return trans.__('timed out');
    case 'cancelled':
      return trans.__('cancelled');
  }
}

/** A run's state as a coloured badge, in words. */
export function RunStatusBadge({
  status,
  trans
}: {
  status: RunStatus;
  trans: TranslationBundle;
}): React.ReactElement {
  return (
    <span className={`jp-nbtools-RunStatus jp-mod-${status}`} data-testid="nbtools-run-status">
      {runStatusText(status, trans)}
    </span>
  );
}

/**
 * Which attempt a run is when its job retried it (`attempt 2, retry of #7`), and, while a
 * retry waits out its backoff, when it is due; empty for a first attempt.
 */
export function retryText(
  run: Pick<Run, 'attempt' | 'retry_of' | 'status' | 'not_before'>,
  trans: TranslationBundle,
  now = Date.now()
): string {
  if (run.retry_of === null) {
    return run.attempt > 1 ? trans.__('attempt %1', run.attempt) : '';
  }
  const attempt = trans.__('attempt %1, retry of #%2', run.attempt, run.retry_of);
  const due = run.status === 'queued' && run.not_before ? Date.parse(run.not_before) : NaN;
  return due > now ? trans.__('%1, due %2', attempt, formatTime(run.not_before)) : attempt;
}

/**
 * When a run's outputs were deleted, and how: by a purge of the data it used (an erasure
 * request) or by retention; empty while the run keeps them.
 */
export function erasedText(
  run: Pick<Run, 'purged_at' | 'pruned_at'>,
  trans: TranslationBundle
): string {
  const done = run.purged_at
    ? [trans.__('Output erased %1 (purge of the data it used)', formatTime(run.purged_at))]
    : [];
  if (run.pruned_at) {
    done.push(trans.__('Output deleted %1 (retention)', formatTime(run.pruned_at)));
  }
  return done.join('; ');
}
