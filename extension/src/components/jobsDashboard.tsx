import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { asError, listJobsOverview, updateJob } from '../api';
import type {
  JobOverview,
  JobSortKey,
  JobStatusFilter,
  JobsOverviewQuery,
  JobsPage,
  RunPoint
} from '../api';
import { formatScheduled, formatTime } from './dates';
import { JobNotes } from './jobNotes';
import { JobsPages } from './jobsPages';
import { notifyFailure, notifySuccess } from './notices';
import { Reloader } from './reloader';
import { RunStatusBadge } from './runStatus';
import { Spinner } from './spinner';
import { SchedulerWatch, UnservedNotice } from './schedulerWatch';
import { usePolled } from './usePolled';
import { Refused } from './loadError';

/** Milliseconds between refreshes while the dashboard is shown. */
const POLL_MS = 5000;
/** Milliseconds the text filter waits for the user to stop typing. */
const TYPING_MS = 250;

/** What the dashboard asks of the rest of the extension. */
export interface IJobsDashboardActions {
  /** Open a job's page. */
  openJob(id: number): void;
  /** Start creating a job. */
  createJob(): void;
}

/**
 * Durations of a job's recent runs as bars, oldest first, coloured by status
 * (an image with its numbers in words for screen readers).
 */
export function DurationSparkline({
  runs,
  trans
}: {
  runs: RunPoint[];
  trans: TranslationBundle;
}): React.ReactElement | null {
  const timed = runs.filter(run => run.duration_seconds !== null);
  if (timed.length === 0) {
    return null;
  }
  const longest = Math.max(...timed.map(run => run.duration_seconds ?? 0), 0.001);
  const width = 6;
  const height = 16;
  const words = timed.map(run => `${run.duration_seconds?.toFixed(1)} s ${run.status}`).join(', ');
  return (
    <svg
      className="jp-nbtools-Sparkline"
      role="img"
      aria-label={trans.__('Durations of the last %1 runs: %2', timed.length, words)}
      width={timed.length * width}
      height={height}
      viewBox={`0 0 ${timed.length * width} ${height}`}
    >
      {timed.map((run, index) => {
        const bar = Math.max(1, ((run.duration_seconds ?? 0) / longest) * height);
        return (
          <rect
            key={run.id}
            className={`jp-mod-${run.status}`}
            x={index * width + 1}
            y={height - bar}
            width={width - 2}
            height={bar}
          />
        );
      })}
    </svg>
  );
}

interface IColumn {
  key: JobSortKey;
  label: string;
}

function columns(trans: TranslationBundle): IColumn[] {
  return [
    { key: 'name', label: trans.__('Name') },
    { key: 'notebook_path', label: trans.__('Notebook') },
    { key: 'next_run_at', label: trans.__('Schedule and next run') },
    { key: 'last_run_at', label: trans.__('Last run') },
    { key: 'open_alerts', label: trans.__('Open alerts') },
    { key: 'created_by', label: trans.__('Owner') }
  ];
}

function statusLabels(trans: TranslationBundle): [JobStatusFilter | '', string][] {
  return [
    ['', trans.__('Any status')],
    ['active', trans.__('Active')],
    ['paused', trans.__('Paused')],
    ['never_run', trans.__('Never run')],
    ['running', trans.__('Last run running')],
    ['queued', trans.__('Last run queued')],
    ['succeeded', trans.__('Last run succeeded')],
    ['failed', trans.__('Last run failed')],
    ['timed_out', trans.__('Last run timed out')],
    ['cancelled', trans.__('Last run cancelled')]
  ];
}

function JobRow({
  job,
  selected,
  onSelect,
  actions,
  trans
}: {
  job: JobOverview;
  selected: boolean;
  onSelect: (on: boolean) => void;
  actions: IJobsDashboardActions;
  trans: TranslationBundle;
}): React.ReactElement {
  const last = job.last_run;
  return (
    <tr className={selected ? 'jp-mod-selected' : undefined}>
      <td>
        <input
          type="checkbox"
          checked={selected}
          aria-label={trans.__('Select %1', job.name)}
          onChange={event => onSelect(event.target.checked)}
        />
      </td>
      <th scope="row">
        <button
          type="button"
          className="jp-nbtools-LinkButton"
          title={trans.__('Open the page of %1', job.name)}
          onClick={() => actions.openJob(job.id)}
        >
          {job.name}
        </button>
        {job.paused && <span className="jp-nbtools-Dashboard-tag">{trans.__('paused')}</span>}
      </th>
      <td>
        <span className="jp-nbtools-Dashboard-path" title={job.notebook_path}>
          {job.notebook_path}
        </span>
      </td>
      <td>
        {job.cron ? (
          <>
            <span>{trans.__('%1 (%2)', job.schedule_description ?? job.cron, job.timezone)}</span>
            <br />
            <span className="jp-nbtools-Dashboard-muted">
              {job.paused || !job.next_run_at
                ? '—'
                : trans.__('next: %1', formatScheduled(job.next_run_at, job.timezone, trans))}
            </span>
            <JobNotes notes={[job.timezone_note, job.next_run_note]} />
          </>
        ) : (
          <span className="jp-nbtools-Dashboard-muted">
            {job.service ? trans.__('service traffic (nbtools serve)') : trans.__('on demand')}
          </span>
        )}
      </td>
      <td>
        {last ? (
          <span className="jp-nbtools-Dashboard-last">
            <RunStatusBadge status={last.status} trans={trans} />
            <DurationSparkline runs={job.recent_runs} trans={trans} />
            <span className="jp-nbtools-Dashboard-muted">
              {formatTime(last.finished_at ?? last.created_at)}
            </span>
          </span>
        ) : (
          <span className="jp-nbtools-Dashboard-muted">{trans.__('never run')}</span>
        )}
      </td>
      <td className={job.open_alerts > 0 ? 'jp-nbtools-Dashboard-alerts' : undefined}>
        {job.open_alerts}
      </td>
      <td className="jp-nbtools-Dashboard-owner" title={job.created_by ?? undefined}>
        {job.created_by ?? '—'}
      </td>
    </tr>
  );
}

function DashboardContent({
  actions,
  pageSize,
  shown,
  trans
}: {
  actions: IJobsDashboardActions;
  pageSize: number;
  /** Whether the dashboard's tab is shown (its data is read again only then); stable. */
  shown: () => boolean;
  trans: TranslationBundle;
}): React.ReactElement {
  const [typed, setTyped] = React.useState('');
  const [query, setQuery] = React.useState<JobsOverviewQuery>({
    sort: 'name',
    order: 'asc',
    offset: 0
  });
  const [selected, setSelected] = React.useState<Set<number>>(new Set());
  const [busy, setBusy] = React.useState<'pause' | 'resume' | null>(null);
  const acting = React.useRef(false); // seen by a second press before the next render

  React.useEffect(() => {
    const timer = window.setTimeout(
      () =>
        setQuery(current =>
          (current.q ?? '') === typed ? current : { ...current, q: typed, offset: 0 }
        ),
      TYPING_MS
    );
    return () => window.clearTimeout(timer);
  }, [typed]);

  const {
    data: page,
    error,
    reload,
    refused
  } = usePolled<JobsPage>(
    React.useCallback(() => listJobsOverview({ ...query, limit: pageSize }), [query, pageSize]),
    { intervalMs: POLL_MS, shown }
  );

  const watch = React.useRef(new SchedulerWatch());
  const [unserved, setUnserved] = React.useState(false);
  React.useEffect(() => {
    let live = true;
    const checks = new Reloader(async () => {
      await watch.current.check();
      if (live) {
        setUnserved(watch.current.unserved);
      }
    });
    checks.poll();
    // The watch asks the server less often; a tab that cannot be seen asks nothing.
    const timer = window.setInterval(() => document.hidden || !shown() || checks.poll(), POLL_MS);
    return () => {
      live = false;
      checks.stop();
      window.clearInterval(timer);
    };
  }, [shown]);

  /** Another page, filter or order: what was selected is no longer shown. */
  const changeQuery = (change: (current: JobsOverviewQuery) => JobsOverviewQuery): void => {
    setQuery(change);
    setSelected(new Set());
  };

  const sortBy = (key: JobSortKey): void =>
    changeQuery(current => ({
      ...current,
      sort: key,
      order: current.sort === key && current.order === 'asc' ? 'desc' : 'asc',
      offset: 0
    }));

  const setPaused = async (paused: boolean): Promise<void> => {
    const chosen = (page?.jobs ?? []).filter(job => selected.has(job.id));
    if (acting.current || chosen.length === 0) {
      return; // aria-disabled (not disabled: it keeps the focus), pressed again or in vain
    }
    acting.current = true;
    setBusy(paused ? 'pause' : 'resume');
    const results = await Promise.allSettled(chosen.map(job => updateJob(job.id, { paused })));
    acting.current = false;
    setBusy(null);
    const failed = results.flatMap((result, index) =>
      result.status === 'rejected'
        ? [`${chosen[index].name}: ${asError(result.reason).message}`]
        : []
    );
    const done = chosen.length - failed.length;
    if (done > 0) {
      notifySuccess(
        paused
          ? trans._n('%1 job paused.', '%1 jobs paused.', done)
          : trans._n('%1 job resumed.', '%1 jobs resumed.', done)
      );
    }
    if (failed.length > 0) {
      notifyFailure(failed.join('\n'));
    }
    setSelected(new Set());
    reload();
  };

  const filtering = Boolean(query.q) || Boolean(query.status);
  const jobs = page?.jobs ?? [];
  const offset = page?.offset ?? 0;
  const allChosen = jobs.length > 0 && jobs.every(job => selected.has(job.id));
  const waiting = unserved && jobs.some(job => job.next_run_at !== null && !job.paused);
  return (
    <div className="jp-nbtools-Dashboard">
      <h1>{trans.__('Jobs')}</h1>
      {waiting && <UnservedNotice trans={trans} />}
      <div className="jp-nbtools-Dashboard-toolbar" role="search">
        <InputGroup
          type="search"
          value={typed}
          placeholder={trans.__('Filter by name, notebook, schedule or owner')}
          aria-label={trans.__('Filter jobs')}
          onChange={event => {
            setTyped(event.target.value);
            setSelected(new Set());
          }}
        />
        <HTMLSelect
          aria-label={trans.__('Status')}
          value={query.status ?? ''}
          onChange={event => {
            const status = (event.target.value || null) as JobStatusFilter | null;
            changeQuery(current => ({ ...current, status, offset: 0 }));
          }}
        >
          {statusLabels(trans).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </HTMLSelect>
        <Button minimal onClick={() => reload()}>
          {trans.__('Refresh')}
        </Button>
      </div>
      <div
        className="jp-nbtools-Dashboard-bulk"
        role="group"
        aria-label={trans.__('Selected jobs')}
      >
        <span role="status">{trans._n('%1 selected', '%1 selected', selected.size)}</span>
        <Button
          minimal
          aria-disabled={selected.size === 0 || busy !== null}
          onClick={() => void setPaused(true)}
        >
          {busy === 'pause' && <Spinner />}
          {trans.__('Pause')}
        </Button>
        <Button
          minimal
          aria-disabled={selected.size === 0 || busy !== null}
          onClick={() => void setPaused(false)}
        >
          {busy === 'resume' && <Spinner />}
          {trans.__('Resume')}
        </Button>
      </div>
      {refused !== null && (
        <Refused action={refused} message={error ?? ''} onRetry={reload} trans={trans} />
      )}
      {error && refused === null && (
        <p role="alert" className="jp-nbtools-Error-message">
          {error}
        </p>
      )}
      {refused !== null ? null : page === null ? (
        !error && <p role="status">{trans.__('Loading the jobs…')}</p>
      ) : page.total === 0 && !filtering ? (
        <div className="jp-nbtools-Dashboard-empty">
          <p>
            {trans.__(
              'No jobs yet. A job runs a notebook with parameters, once or on a schedule, and keeps the history of its runs.'
            )}
          </p>
          <Button className="jp-mod-styled jp-mod-accept" onClick={() => actions.createJob()}>
            {trans.__('Create job')}
          </Button>
        </div>
      ) : (
        <>
          <table className="jp-nbtools-Dashboard-table" aria-label={trans.__('Jobs')}>
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    checked={allChosen}
                    aria-label={trans.__('Select every job of this page')}
                    onChange={event =>
                      setSelected(
                        event.target.checked ? new Set(jobs.map(job => job.id)) : new Set()
                      )
                    }
                  />
                </th>
                {columns(trans).map(column => {
                  const sorted = query.sort === column.key;
                  const direction = query.order === 'desc' ? 'descending' : 'ascending';
                  return (
                    <th key={column.key} scope="col" aria-sort={sorted ? direction : 'none'}>
                      <button
                        type="button"
                        className="jp-nbtools-LinkButton"
                        onClick={() => sortBy(column.key)}
                      >
                        {column.label}
                        <span aria-hidden="true">
                          {sorted ? (query.order === 'desc' ? ' ▼' : ' ▲') : ''}
                        </span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {jobs.map(job => (
                <JobRow
                  key={job.id}
                  job={job}
                  selected={selected.has(job.id)}
                  onSelect={on =>
                    setSelected(current => {
                      const next = new Set(current);
                      if (on) {
                        next.add(job.id);
                      } else {
                        next.delete(job.id);
                      }
                      return next;
                    })
                  }
                  actions={actions}
                  trans={trans}
                />
              ))}
            </tbody>
          </table>
          {jobs.length === 0 && <p>{trans.__('No jobs match the filter.')}</p>}
          <JobsPages
            offset={offset}
            pageSize={pageSize}
            total={page.total}
            go={to => changeQuery(current => ({ ...current, offset: to }))}
            trans={trans}
          />
        </>
      )}
    </div>
  );
}

/**
 * The jobs dashboard in the main area: every job of the project in a table
 * that sorts, filters and pages on the server, with each job's latest run, a
 * sparkline of its recent durations and its open alerts; selected jobs pause
 * or resume together, and a job's name opens its page.
 */
export class JobsDashboard extends ReactWidget {
  constructor(
    private readonly _actions: IJobsDashboardActions,
    private readonly _trans: TranslationBundle,
    private readonly _pageSize = 25
  ) {
    super();
    this.addClass('jp-nbtools-DashboardWidget');
  }

  private readonly _shown = (): boolean => this.isVisible;

  protected render(): React.ReactElement {
    return (
      <DashboardContent
        actions={this._actions}
        pageSize={this._pageSize}
        shown={this._shown}
        trans={this._trans}
      />
    );
  }
}
