import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { Dataset } from '../api';
import { ClassificationBadge } from './classification';
import type { DataModel, DataState } from './dataModel';
import { LISTED } from './dataModel';
import { LoadError } from './loadError';

/**
 * The Data section: a search box over the catalog (names, tags, column names,
 * descriptions) and the datasets found, each opening its page.
 */
export class DataView extends VDomRenderer<DataModel> {
  constructor(model: DataModel, openDataset: (name: string) => void, trans: TranslationBundle) {
    super(model);
    this._openDataset = openDataset;
    this._trans = trans;
    this.addClass('jp-nbtools-Data');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  protected render(): React.ReactElement {
    return (
      <DataSearch
        query={this.model.query}
        queryError={this.model.queryError}
        state={this.model.state}
        total={this.model.total}
        onQuery={text => this.model.setQuery(text)}
        onOpen={this._openDataset}
        trans={this._trans}
      />
    );
  }

  private _openDataset: (name: string) => void;
  private _trans: TranslationBundle;
}

/** The columns of `dataset` that contain a word of `query` (what made a column search match). */
function matchingColumns(dataset: Dataset, query: string): string[] {
  const words = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(w => w.length > 1);
  return (dataset.schema ?? [])
    .map(field => field.name)
    .filter(name => words.some(word => name.toLowerCase().includes(word)));
}

/** How to add a dataset, for the empty states. */
function HowToAdd({ trans }: { trans: TranslationBundle }): React.ReactElement {
  return (
    <p className="jp-nbtools-muted">
      {trans.__('Add one with')} <code>nbtools data add NAME LOCATION</code>
      {trans.__(', or declare it in')} <code>datasets.yaml</code>{' '}
      {trans.__('at the project root and run')} <code>nbtools data sync</code>.
    </p>
  );
}

interface IDataSearchProps {
  query: string;
  queryError: string | null;
  state: DataState;
  total: number | null;
  onQuery: (text: string) => void;
  onOpen: (name: string) => void;
  trans: TranslationBundle;
}

/** Pure rendering of the search box and its results. */
export function DataSearch({
  query,
  queryError,
  state,
  total,
  onQuery,
  onOpen,
  trans
}: IDataSearchProps): React.ReactElement {
  const errorId = 'jp-nbtools-DataSearch-error';
  let results: React.ReactElement;
  if (state.kind === 'loading') {
    results = <p className="jp-nbtools-muted">{trans.__('Loading the catalog…')}</p>;
  } else if (state.kind === 'failed') {
    results = (
      <LoadError
        title={trans.__('Could not load the data catalog')}
        message={state.error.message}
      />
    );
  } else if (total === 0) {
    results = (
      <>
        <p className="jp-nbtools-muted">{trans.__('No datasets in the catalog yet.')}</p>
        <HowToAdd trans={trans} />
      </>
    );
  } else if (state.datasets.length === 0) {
    results = queryError ? (
      <></>
    ) : (
      <>
        <p className="jp-nbtools-muted">
          {trans.__(
            'No dataset matches “%1”: every word must match a name, tag, column or description.',
            state.query
          )}
        </p>
        <HowToAdd trans={trans} />
      </>
    );
  } else {
    results = (
      <>
        {state.query !== '' && (
          <p role="status" className="jp-nbtools-muted">
            {trans._n('%1 dataset matches', '%1 datasets match', state.datasets.length)}
          </p>
        )}
        <ul
          className="jp-nbtools-DatasetList"
          aria-label={
            state.query === ''
              ? trans.__('Datasets')
              : trans.__('Datasets matching “%1”', state.query)
          }
        >
          {state.datasets.map(dataset => {
            const columns = state.query === '' ? [] : matchingColumns(dataset, state.query);
            return (
              <li key={dataset.name} className="jp-nbtools-DatasetItem">
                <button
                  type="button"
                  className="jp-nbtools-LinkButton jp-nbtools-DatasetItem-name"
                  aria-label={trans.__('Open dataset %1', dataset.name)}
                  onClick={() => onOpen(dataset.name)}
                >
                  {dataset.name}
                </button>{' '}
                <ClassificationBadge classification={dataset.classification} trans={trans} />
                {dataset.description && (
                  <p className="jp-nbtools-DatasetItem-description">{dataset.description}</p>
                )}
                {columns.length > 0 && (
                  <p className="jp-nbtools-DatasetItem-columns">
                    {trans.__('Columns:')} <code>{columns.join(', ')}</code>
                  </p>
                )}
              </li>
            );
          })}
        </ul>
        {state.query === '' && total !== null && total > LISTED && (
          <p className="jp-nbtools-muted">
            {trans.__(
              'The first %1 of %2 datasets by name: search to find the others.',
              LISTED,
              total
            )}
          </p>
        )}
      </>
    );
  }
  return (
    <>
      <input
        type="search"
        className="jp-mod-styled jp-nbtools-DataSearch"
        aria-label={trans.__('Search datasets')}
        placeholder={trans.__('Names, columns, tags…')}
        title={trans.__('Search names, columns, tags and descriptions')}
        value={query}
        aria-invalid={queryError !== null}
        aria-describedby={queryError ? errorId : undefined}
        onChange={event => onQuery(event.target.value)}
      />
      {queryError && (
        <p id={errorId} className="jp-nbtools-FieldError">
          {queryError}
        </p>
      )}
      <div className="jp-nbtools-DataResults">{results}</div>
    </>
  );
}
