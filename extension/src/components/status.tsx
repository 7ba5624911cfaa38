import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { NbtoolsApiError, ServerExtensionMissingError } from '../api';
import type { ServerStatus } from '../api';
import { formatTime } from './dates';
import type { StatusModel, StatusState } from './statusModel';
import { WarningSign } from './warningSign';

/**
 * The Status section: server version, root, store, schema revision, schedulers and the
 * locations several datasets share (only when some do).
 *
 * The status is fetched the first time the section becomes visible.
 */
export class StatusView extends VDomRenderer<StatusModel> {
  constructor(model: StatusModel, trans: TranslationBundle) {
    super(model);
    this._trans = trans;
    this.addClass('jp-nbtools-Status');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.state.kind === 'idle') {
      void this.model.refresh();
    }
  }

  protected render(): React.ReactElement {
    return <StatusContent state={this.model.state} trans={this._trans} />;
  }

  private _trans: TranslationBundle;
}

interface IStatusContentProps {
  state: StatusState;
  trans: TranslationBundle;
}

/**
 * Pure rendering of a status state.
 */
export function StatusContent({ state, trans }: IStatusContentProps): React.ReactElement {
  switch (state.kind) {
    case 'idle':
    case 'loading':
      return (
        <p role="status" className="jp-nbtools-Status-message">
          {trans.__('Loading server status…')}
        </p>
      );
    case 'failed':
      return <ErrorNotice error={state.error} trans={trans} />;
    case 'ready':
      return <StatusFields status={state.status} trans={trans} />;
  }
}

function StatusFields({
  status,
  trans
}: {
  status: ServerStatus;
  trans: TranslationBundle;
}): React.ReactElement {
  const fields: { label: string; value: string; testId: string }[] = [
    { label: trans.__('Version'), value: status.version, testId: 'nbtools-status-version' },
    { label: trans.__('Root'), value: status.root, testId: 'nbtools-status-root' },
    { label: trans.__('Store'), value: status.store_path, testId: 'nbtools-status-store' },
    {
      label: trans.__('Database'),
      value: databaseKind(status.db_url),
      testId: 'nbtools-status-database'
    },
    {
      label: trans.__('Schema'),
      value: status.schema_revision ?? trans.__('not initialised'),
      testId: 'nbtools-status-schema'
    },
    {
      label: trans.__('Schedulers'),
      value: schedulersText(status, trans),
      testId: 'nbtools-status-schedulers'
    }
  ];
  return (
    <dl className="jp-nbtools-Status-fields" aria-label={trans.__('Server status')}>
      {fields.map(field => (
        <React.Fragment key={field.testId}>
          <dt>{field.label}</dt>
          <dd title={field.value} data-testid={field.testId}>
            {field.value}
          </dd>
        </React.Fragment>
      ))}
      {status.shared_locations.length > 0 && (
        <SharedLocations shared={status.shared_locations} trans={trans} />
      )}
    </dl>
  );
}

/**
 * The locations several datasets share (kept from an older version's catalog), each with its
 * datasets, and what to do, as `nbtools status` tells them: a warning across the section.
 */
function SharedLocations({
  shared,
  trans
}: {
  shared: ServerStatus['shared_locations'];
  trans: TranslationBundle;
}): React.ReactElement {
  const count = shared.reduce((sum, group) => sum + group.datasets.length, 0);
  return (
    <>
      <dt className="jp-nbtools-Status-wide">{trans.__('Shared locations')}</dt>
      <dd className="jp-nbtools-Status-wide jp-nbtools-Status-shared">
        <p>
          <WarningSign trans={trans} />
          {trans._n(
            "%2 datasets share %1 location (kept from an older version's catalog):",
            "%2 datasets share %1 locations (kept from an older version's catalog):",
            shared.length,
            count
          )}
        </p>
        <ul aria-label={trans.__('Locations shared by datasets')}>
          {shared.map(group => (
            <li key={group.location}>
              <code>{group.location}</code>: {group.datasets.join(', ')}
            </li>
          ))}
        </ul>
        <p>
          {trans.__(
            'Give each its own location (nbtools data edit NAME --location LOCATION) or remove the extra ones (nbtools data remove NAME).'
          )}
        </p>
      </dd>
    </>
  );
}

function ErrorNotice({
  error,
  trans
}: {
  error: Error;
  trans: TranslationBundle;
}): React.ReactElement {
  const missing = error instanceof ServerExtensionMissingError;
  const title = missing
    ? trans.__('Server extension not available')
    : trans.__('Could not load the server status');
  return (
    <div role="alert" className="jp-nbtools-Error" data-testid="nbtools-status-error">
      <p className="jp-nbtools-Error-title">{title}</p>
      <p className="jp-nbtools-Error-message">{error.message}</p>
      {error instanceof NbtoolsApiError && !missing && (
        <p className="jp-nbtools-Error-meta">
          {error.status > 0 ? `${error.error} (HTTP ${error.status})` : error.error}
        </p>
      )}
    </div>
  );
}

/**
 * The schedulers serving the store, or that none does (due jobs and queued runs then wait).
 */
export function schedulersText(status: ServerStatus, trans: TranslationBundle): string {
  const alive = status.schedulers.filter(scheduler => scheduler.alive);
  if (alive.length === 0) {
    return trans.__('None running: due jobs and queued runs wait until one starts.');
  }
  return alive
    .map(scheduler =>
      trans.__(
        '%1:%2 (%3 executor), running since %4',
        scheduler.host,
        scheduler.pid,
        scheduler.executor,
        formatTime(scheduler.started_at)
      )
    )
    .join('; ');
}

/**
 * The database dialect of an SQLAlchemy URL (`sqlite`, `postgresql`, ...).
 * The full URL is never shown: it may hold a password.
 */
export function databaseKind(url: string): string {
  const scheme = url.split(':', 1)[0];
  return scheme.split('+', 1)[0] || 'unknown';
}
