import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { getStatus, refusedAction } from '../api';

/**
 * Milliseconds between two checks of whether a scheduler serves the store: while one does,
 * and once a check found none (the notice then goes within seconds of one starting).
 */
const CHECK_MS = { served: 30_000, unserved: 5_000 };

/**
 * Whether a scheduler serves the store, from `GET /status`, asked at most every `CHECK_MS`.
 * `unserved` holds once two checks in a row found none alive: the server starts its own
 * scheduler at the first jobs request, a moment before that scheduler lists itself.
 */
export class SchedulerWatch {
  get unserved(): boolean {
    return this._none >= 2;
  }

  /** Check again if it is time; resolves to whether `unserved` changed. */
  async check(): Promise<boolean> {
    const every = this._none > 0 ? CHECK_MS.unserved : CHECK_MS.served;
    if (this._refused || Date.now() - this._checkedAt < every) {
      return false;
    }
    this._checkedAt = Date.now();
    let none: boolean;
    try {
      none = !(await getStatus()).schedulers.some(scheduler => scheduler.alive);
    } catch (reason) {
      // the Status section says why the status cannot be read; refused, it is not asked again
      // (each refusal is entered in the audit trail)
      this._refused = refusedAction(reason) !== null;
      return false;
    }
    const before = this.unserved;
    this._none = none ? this._none + 1 : 0;
    return this.unserved !== before;
  }

  private _refused = false;
  private _none = 0;
  private _checkedAt = 0;
}

/** What the jobs and runs shown wait for, when no scheduler serves the store. */
export function UnservedNotice({ trans }: { trans: TranslationBundle }): React.ReactElement {
  return (
    <p role="status" className="jp-nbtools-Jobs-unserved">
      {trans.__(
        'No scheduler is running: scheduled and queued runs wait until one starts (nbtools scheduler, or this server with c.JobsSettings.run_scheduler on).'
      )}
    </p>
  );
}
