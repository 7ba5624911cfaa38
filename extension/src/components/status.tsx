import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { NbtoolsApiError, ServerExtensionMissingError } from '../api';
import type { ServerStatus } from '../api';
import { formatTime } from './dates';
import type { StatusModel, StatusState } from './statusModel';

/**
 * The Status section: server version, root, store, schema revision and schedulers.
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
    </dl>
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
