import { VDomModel } from '@jupyterlab/ui-components';

import { acknowledgeAlert, asError, listAlerts } from '../api';
import type { Alert } from '../api';
import { Reloader } from './reloader';

export type AlertsState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly alerts: Alert[] }
  /** `refused`: the action the server refused the user (403): polling waits for `refresh`. */
  | { readonly kind: 'failed'; readonly error: Error; readonly refused: string | null };

/**
 * The open alerts of one job, or of all jobs when `jobId` is null, loaded one
 * load at a time (see Reloader).
 */
export class AlertsModel extends VDomModel {
  constructor(jobId: number | null = null) {
    super();
    this._jobId = jobId;
  }

  get state(): AlertsState {
    return this._state;
  }

  /** The message of the last failed acknowledgement, if any. */
  get actionError(): string | null {
    return this._actionError;
  }

  /**
   * Load the alerts again: now, or once the load under way ends (after a change, the
   * section shown again, its refresh button).
   */
  refresh(): Promise<void> {
    return this._loads.reload();
  }

  /** A polling turn: a load, unless one is under way (then the turn is skipped). */
  poll(): void {
    this._loads.poll();
  }

  async acknowledge(alertId: number): Promise<void> {
    this._actionError = null;
    try {
      await acknowledgeAlert(alertId);
    } catch (reason) {
      this._actionError = asError(reason).message;
    }
    await this.refresh();
  }

  dispose(): void {
    this._loads.stop();
    super.dispose();
  }

  private async _load(): Promise<void> {
    if (this._state.kind !== 'ready') {
      this._set({ kind: 'loading' });
    }
    let next: AlertsState;
    try {
      const alerts = await listAlerts({ job: this._jobId ?? undefined, status: 'open' });
      next = { kind: 'ready', alerts };
    } catch (reason) {
      next = { kind: 'failed', error: asError(reason), refused: this._loads.hold(reason) };
    }
    if (!this.isDisposed) {
      this._set(next);
    }
  }

  private _set(state: AlertsState): void {
    this._state = state;
    this.stateChanged.emit(undefined);
  }

  private _jobId: number | null;
  private _state: AlertsState = { kind: 'idle' };
  private _actionError: string | null = null;
  private _loads = new Reloader(() => this._load());
}
