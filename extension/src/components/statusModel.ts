import { VDomModel } from '@jupyterlab/ui-components';

import { asError, getStatus } from '../api';
import type { ServerStatus } from '../api';

/**
 * What the Status section knows about the server.
 */
export type StatusState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly status: ServerStatus }
  | { readonly kind: 'failed'; readonly error: Error };

/**
 * Holds the last answer of the status endpoint.
 */
export class StatusModel extends VDomModel {
  get state(): StatusState {
    return this._state;
  }

  /**
   * Fetch the status again. Answers of older, overtaken requests are dropped.
   */
  async refresh(): Promise<void> {
    const request = ++this._request;
    this._setState({ kind: 'loading' });
    let next: StatusState;
    try {
      next = { kind: 'ready', status: await getStatus() };
    } catch (reason) {
      next = {
        kind: 'failed',
        error: asError(reason)
      };
    }
    if (request === this._request && !this.isDisposed) {
      this._setState(next);
    }
  }

  private _setState(state: StatusState): void {
    this._state = state;
    this.stateChanged.emit(undefined);
  }

  private _state: StatusState = { kind: 'idle' };
  private _request = 0;
}
