import { VDomModel } from '@jupyterlab/ui-components';

import { acknowledgeAlert, asError, listAlerts } from '../api';
import type { Alert } from '../api';

export type AlertsState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly alerts: Alert[] }
  | { readonly kind: 'failed'; readonly error: Error };

/**
 * The open alerts of one job, or of all jobs when `jobId` is null.
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

  async refresh(): Promise<void> {
    const request = ++this._request;
    if (this._state.kind !== 'ready') {
      this._set({ kind: 'loading' });
    }
    let next: AlertsState;
    try {
      const alerts = await listAlerts({ job: this._jobId ?? undefined, status: 'open' });
      next = { kind: 'ready', alerts };
    } catch (reason) {
      next = { kind: 'failed', error: asError(reason) };
    }
    if (request === this._request && !this.isDisposed) {
      this._set(next);
    }
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

  private _set(state: AlertsState): void {
    this._state = state;
    this.stateChanged.emit(undefined);
  }

  private _jobId: number | null;
  private _state: AlertsState = { kind: 'idle' };
  private _actionError: string | null = null;
  private _request = 0;
}
