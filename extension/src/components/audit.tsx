import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  AUDIT_MAX_LIMIT,
  NbtoolsApiError,
  asError,
  downloadAuditCsv,
  fieldOf,
  listAuditEntries
} from '../api';
import type { AuditEntry } from '../api';
import { formatTime } from './dates';
import { saveBlob } from './download';
import { useFocusHandover } from './focusHandover';
import { LoadError } from './loadError';

/** Entries per page. */
export const AUDIT_PAGE_SIZE = 50;

/** The filters of the audit trail, as typed. */
interface IFilters {
  since: string;
  actor: string;
  action: string;
}

const NO_FILTERS: IFilters = { since: '', actor: '', action: '' };

type AuditState =
  | { readonly kind: 'loading' }
  | {
      readonly kind: 'ready';
      readonly entries: AuditEntry[];
      readonly hasOlder: boolean;
      /** The page's cursor (`before`), undefined for the newest page. */
      readonly before: number | undefined;
    }
  /** The server's authorizer does not grant this user the `admin` action. */
  | { readonly kind: 'refused'; readonly message: string }
  /** The server refused a filter's value (`field`: its name). */
  | { readonly kind: 'invalid'; readonly field: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

/** The query of `filters` (a value of spaces only is none). */
function filterQuery(filters: IFilters): { since?: string; actor?: string; action?: string } {
  return {
    since: filters.since.trim() || undefined,
    actor: filters.actor.trim() || undefined,
    action: filters.action.trim() || undefined
  };
}

/** Whether any of `filters` is set (a value of spaces only is none, as the request leaves it out). */
function filtered(filters: IFilters): boolean {
  return [filters.since, filters.actor, filters.action].some(value => value.trim() !== '');
}

/** A summary as one line of `name: value` pairs (values as JSON unless text). */
function summaryText(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('; ');
}

function FilterField({
  name,
  label,
  hint,
  value,
  error,
  onChange
}: {
  name: keyof IFilters;
  label: string;
  hint: string;
  value: string;
  error: string | null;
  onChange: (value: string) => void;
}): React.ReactElement {
  const id = `jp-nbtools-AuditFilter-${name}`;
  return (
    <div className="jp-nbtools-AuditFilter">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="jp-mod-styled"
        value={value}
        placeholder={hint}
        aria-invalid={error !== null}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={event => onChange(event.target.value)}
      />
      {error && (
        <p id={`${id}-error`} className="jp-nbtools-FieldError">
          {error}
        </p>
      )}
    </div>
  );
}

function AuditContent({ trans }: { trans: TranslationBundle }): React.ReactElement {
  const [typed, setTyped] = React.useState<IFilters>(NO_FILTERS);
  const [applied, setApplied] = React.useState<IFilters>(NO_FILTERS);
  /** The `before` id of each page shown so far (`undefined`: the newest page). */
  const [pages, setPages] = React.useState<(number | undefined)[]>([undefined]);
  const [state, setState] = React.useState<AuditState>({ kind: 'loading' });
  const [reloads, setReloads] = React.useState(0);
  const [downloadError, setDownloadError] = React.useState<string | null>(null);
  const before = pages[pages.length - 1];
  // Newer is disabled on the first page, Older on the last: each hands the focus to the other.
  // While the page asked for loads, Older is marked aria-disabled (it keeps the focus).
  const pagesNav = useFocusHandover<HTMLElement>([pages.length, state]);
  const shown = state.kind === 'ready' && state.before === before ? state : null;

  React.useEffect(() => {
    let live = true;
    listAuditEntries({
      ...filterQuery(applied),
      before,
      limit: AUDIT_PAGE_SIZE + 1
    }).then(
      entries =>
        live &&
        setState({
          kind: 'ready',
          entries: entries.slice(0, AUDIT_PAGE_SIZE),
          hasOlder: entries.length > AUDIT_PAGE_SIZE,
          before
        }),
      reason => {
        if (!live) {
          return;
        }
        const message = asError(reason).message;
        const field = fieldOf(reason);
        if (reason instanceof NbtoolsApiError && reason.status === 403) {
          setState({ kind: 'refused', message });
        } else if (field !== null && field in NO_FILTERS) {
          setState({ kind: 'invalid', field, message });
        } else {
          setState({ kind: 'failed', message });
        }
      }
    );
    return () => {
      live = false;
    };
  }, [applied, before, reloads]);

  if (state.kind === 'refused') {
    return (
      <div role="alert" className="jp-nbtools-Error">
        <p className="jp-nbtools-Error-title">
          {trans.__('You are not allowed to read the audit trail.')}
        </p>
        <p>
          {trans.__(
            'It needs the admin permission on nbtools, which this Jupyter server does not grant you. Ask the administrator of the server for it (see "Security" in the configuration guide).'
          )}
        </p>
      </div>
    );
  }
  /** The entries the applied filters select, newest first, as the server's CSV file. */
  const download = async (): Promise<void> => {
    setDownloadError(null);
    try {
      const { filename, blob } = await downloadAuditCsv({
        ...filterQuery(applied),
        limit: AUDIT_MAX_LIMIT
      });
      saveBlob(filename, blob);
    } catch (reason) {
      setDownloadError(asError(reason).message);
    }
  };
  const fieldError = (name: keyof IFilters): string | null =>
    state.kind === 'invalid' && state.field === name ? state.message : null;
  const apply = (event: React.FormEvent): void => {
    event.preventDefault();
    setApplied(typed);
    setPages([undefined]);
    setReloads(count => count + 1);
  };
  return (
    <>
      <form
        className="jp-nbtools-AuditFilters"
        aria-label={trans.__('Filter the audit trail')}
        onSubmit={apply}
      >
        <FilterField
          name="since"
          label={trans.__('Since')}
          hint={trans.__('7d, 12h or 2026-12-01')}
          value={typed.since}
          error={fieldError('since')}
          onChange={since => setTyped({ ...typed, since })}
        />
        <FilterField
          name="actor"
          label={trans.__('Actor')}
          hint={trans.__('a user name')}
          value={typed.actor}
          error={fieldError('actor')}
          onChange={actor => setTyped({ ...typed, actor })}
        />
        <FilterField
          name="action"
          label={trans.__('Action')}
          hint={trans.__('job.* or dataset.add')}
          value={typed.action}
          error={fieldError('action')}
          onChange={action => setTyped({ ...typed, action })}
        />
        <Button className="jp-mod-styled jp-mod-accept" type="submit">
          {trans.__('Apply')}
        </Button>
      </form>
      {state.kind === 'failed' && (
        <LoadError title={trans.__('Could not load the audit trail')} message={state.message} />
      )}
      {state.kind === 'loading' && <p role="status">{trans.__('Loading the audit trail…')}</p>}
      {state.kind === 'ready' &&
        (state.entries.length === 0 ? (
          <p className="jp-nbtools-muted">
            {pages.length > 1
              ? trans.__('No older entries.')
              : filtered(applied)
                ? trans.__('No entries match these filters.')
                : trans.__(
                    'No audit entries yet. One is added each time someone creates, edits or runs a job, changes the data catalog, restores a version, recreates an environment or starts a service preview.'
                  )}
          </p>
        ) : (
          <table className="jp-nbtools-JobPage-table" aria-label={trans.__('Audit entries')}>
            <thead>
              <tr>
                <th scope="col">{trans.__('Time')}</th>
                <th scope="col">{trans.__('Actor')}</th>
                <th scope="col">{trans.__('Action')}</th>
                <th scope="col">{trans.__('Object')}</th>
                <th scope="col">{trans.__('Summary')}</th>
              </tr>
            </thead>
            <tbody>
              {state.entries.map(entry => (
                <tr key={entry.id}>
                  <td>
                    <time dateTime={entry.at}>{formatTime(entry.at)}</time>
                  </td>
                  <td>{entry.actor}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>{entry.target}</td>
                  <td className="jp-nbtools-AuditSummary">{summaryText(entry.summary)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <nav
        ref={pagesNav}
        className="jp-nbtools-JobPage-actions"
        aria-label={trans.__('Audit pages')}
      >
        <Button
          minimal
          small
          disabled={pages.length === 1}
          onClick={() => setPages(pages.slice(0, -1))}
        >
          {trans.__('Newer')}
        </Button>
        <Button
          minimal
          small
          disabled={state.kind !== 'ready' || (shown !== null && !shown.hasOlder)}
          aria-disabled={shown === null}
          onClick={() =>
            shown !== null && setPages([...pages, shown.entries[shown.entries.length - 1].id])
          }
        >
          {trans.__('Older')}
        </Button>
        <Button small minimal onClick={() => setReloads(count => count + 1)}>
          {trans.__('Refresh')}
        </Button>
        <Button
          small
          minimal
          title={trans.__(
            'The entries the applied filters select, newest first (at most %1), as a CSV file for a spreadsheet',
            AUDIT_MAX_LIMIT
          )}
          onClick={() => void download()}
        >
          {trans.__('Download CSV')}
        </Button>
      </nav>
      {downloadError && (
        <LoadError title={trans.__('Could not download the audit trail')} message={downloadError} />
      )}
    </>
  );
}

/**
 * The audit trail in the main area: who created, changed, ran or was refused
 * what, newest first, filtered by time, actor and action, a page at a time.
 * Readable only with the `admin` permission: others are told so.
 */
export class AuditView extends ReactWidget {
  constructor(private readonly _trans: TranslationBundle) {
    super();
    this.addClass('jp-nbtools-JobPage');
    this.addClass('jp-nbtools-AuditView');
  }

  protected render(): React.ReactElement {
    return (
      <>
        <h1>{this._trans.__('Audit trail')}</h1>
        <AuditContent trans={this._trans} />
      </>
    );
  }
}
