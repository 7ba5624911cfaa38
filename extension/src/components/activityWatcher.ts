import { listAlerts, listRecentRuns } from '../api';
import type { Alert, Run } from '../api';
import { Reloader } from './reloader';

/** Milliseconds between two looks at the project's runs and alerts. */
const POLL_MS = 4000;

/** How many of the newest runs each look reads. */
const RECENT_RUNS = 50;

/** Run states that end a run and are worth telling (a skipped run never ran). */
const ENDED = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);

/**
 * Watches the project while JupyterLab is open and its page is visible (for
 * the application's lifetime), one look at a time (a turn while the last look
 * is unanswered is skipped), and
 * reports each run that ends and each alert that opens from then on (what
 * happened before the first look is not reported).
 */
export class ActivityWatcher {
  constructor(
    private readonly _onRunEnded: (run: Run) => void,
    private readonly _onAlertOpened: (alert: Alert) => void
  ) {
    const looks = (this._looks = new Reloader(() => this._look()));
    const turn = (): void => {
      if (!document.hidden) {
        looks.poll();
      }
    };
    window.setInterval(turn, POLL_MS);
    turn();
  }

  /** Look once; a failed look is retried at the next one. */
  private async _look(): Promise<void> {
    try {
      const [runs, alerts] = await Promise.all([
        listRecentRuns(RECENT_RUNS),
        listAlerts({ status: 'open' })
      ]);
      const first = this._endedRuns === null;
      const ended = this._endedRuns ?? new Set<number>();
      const opened = this._openedAlerts ?? new Set<number>();
      for (const run of [...runs].reverse()) {
        if (ENDED.has(run.status) && !ended.has(run.id)) {
          ended.add(run.id);
          if (!first) {
            this._onRunEnded(run);
          }
        }
      }
      for (const alert of [...alerts].reverse()) {
        if (!opened.has(alert.id)) {
          opened.add(alert.id);
          if (!first) {
            this._onAlertOpened(alert);
          }
        }
      }
      this._endedRuns = ended;
      this._openedAlerts = opened;
    } catch (reason) {
      // The panel's sections report load failures; this watcher only tells news, and asks
      // no more once refused (each refusal is entered in the audit trail) until JupyterLab
      // is loaded again.
      this._looks.hold(reason);
    }
  }

  private _looks: Reloader;
  private _endedRuns: Set<number> | null = null;
  private _openedAlerts: Set<number> | null = null;
}
