import { refusedAction } from '../api';

/**
 * One load at a time, for a view that reads the server again and again (every few seconds,
 * and after a change): a load starts only once the one before it has its answer or its
 * error, so that questions never pile up on a slow server and an older answer never arrives
 * after a newer one. `load` reports its own failures: it never rejects.
 */
export class Reloader {
  constructor(private readonly _load: () => Promise<void>) {}

  /**
   * A polling turn: a load, unless one is under way (the turn is then skipped) or the last
   * was refused (`hold`).
   */
  poll(): void {
    if (this._loading === null && !this._held) {
      void this.reload();
    }
  }

  /**
   * Load now or, while a load is under way, once more when it ends (what it reads may have
   * changed meanwhile), however often this is asked meanwhile. Resolves once that load ended.
   */
  reload(): Promise<void> {
    this._held = false;
    if (this._stopped) {
      return Promise.resolve();
    }
    if (this._loading === null) {
      this._loading = this._loadUntilCurrent().finally(() => {
        this._loading = null;
      });
    } else {
      this._again = true;
    }
    return this._loading;
  }

  /**
   * Called with a load's failure: when the server refused the user (403, `refusedAction`),
   * polling turns stop until `reload` (the user's Retry, a change), since each would be
   * refused again and entered in the audit trail. Returns the refused action, else null.
   */
  hold(reason: unknown): string | null {
    const action = refusedAction(reason);
    if (action !== null) {
      this._held = true;
    }
    return action;
  }

  /** Start no load any more (the view is gone); the one under way still ends. */
  stop(): void {
    this._stopped = true;
  }

  private async _loadUntilCurrent(): Promise<void> {
    do {
      this._again = false;
      await this._load();
    } while (this._again && !this._stopped);
  }

  /** The load under way, if any. */
  private _loading: Promise<void> | null = null;
  /** Whether a reload was asked during the load under way. */
  private _again = false;
  private _stopped = false;
  /** Whether the last load was refused: polling turns wait for a reload. */
  private _held = false;
}
