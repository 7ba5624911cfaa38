import { VDomModel } from '@jupyterlab/ui-components';

import { asError, fieldOf, listDatasets, searchDatasets } from '../api';
import type { Dataset } from '../api';

/** Milliseconds the search box waits for typing to pause before it asks the server. */
export const SEARCH_DEBOUNCE_MS = 300;
/** Datasets listed without a query (by name); a search finds the others. */
export const LISTED = 50;

export type DataState =
  | { readonly kind: 'loading' }
  | {
      readonly kind: 'ready';
      /** The query these results answer (`''`: the catalog by name). */
      readonly query: string;
      readonly datasets: Dataset[];
    }
  | { readonly kind: 'failed'; readonly error: Error };

/**
 * The Data section: how many datasets the catalog holds, and the results of
 * the search box (debounced), or the first datasets by name without a query.
 */
export class DataModel extends VDomModel {
  get state(): DataState {
    return this._state;
  }

  /** The text of the search box. */
  get query(): string {
    return this._query;
  }

  /** Datasets in the catalog; `null` until known. */
  get total(): number | null {
    return this._total;
  }

  /** Why the server refused the query (no word in it), shown under the search box. */
  get queryError(): string | null {
    return this._queryError;
  }

  /** Change the query; the search runs once typing pauses. */
  setQuery(text: string): void {
    this._query = text;
    this.stateChanged.emit(undefined);
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this._load(false), SEARCH_DEBOUNCE_MS);
  }

  /** Count the catalog again and answer the current query. */
  refresh(): Promise<void> {
    return this._load(true);
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    super.dispose();
  }

  /** Answer the query (the catalog by name without one), counting the catalog if `count`. */
  private async _load(count: boolean): Promise<void> {
    window.clearTimeout(this._timer);
    const request = ++this._request;
    const query = this._query.trim();
    if (this._state.kind !== 'ready') {
      this._set({ kind: 'loading' });
    }
    let next: DataState;
    let total = this._total;
    let queryError: string | null = null;
    try {
      // The first page by name also carries the catalog's size: it is never read whole.
      const page = count || query === '' ? await listDatasets(0, LISTED) : null;
      total = page?.total ?? total;
      const datasets = page && query === '' ? page.datasets : await searchDatasets(query);
      next = { kind: 'ready', query, datasets };
    } catch (reason) {
      if (fieldOf(reason) === 'q') {
        queryError = asError(reason).message;
        next = { kind: 'ready', query, datasets: [] };
      } else {
        next = { kind: 'failed', error: asError(reason) };
      }
    }
    if (request === this._request && !this.isDisposed) {
      this._total = total;
      this._queryError = queryError;
      this._set(next);
    }
  }

  private _set(state: DataState): void {
    this._state = state;
    this.stateChanged.emit(undefined);
  }

  private _state: DataState = { kind: 'loading' };
  private _query = '';
  private _total: number | null = null;
  private _queryError: string | null = null;
  private _request = 0;
  private _timer = 0;
}
