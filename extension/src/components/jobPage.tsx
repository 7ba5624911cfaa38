import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { asError, getJob, getJobMetrics, listJobRuns, runJob, updateJob } from '../api';
import type { Job, MetricSeries, Run } from '../api';
import { formatScheduled, formatTime } from './dates';
import { chartsOf } from './jobMonitoring';
import { JobNotes } from './jobNotes';
import { MetricChart } from './metricChart';
import { notifyFailure, notifySuccess } from './notices';
import { RunArtifacts } from './runArtifacts';
import { RunStatusBadge, erasedText, retryText } from './runStatus';
import { Spinner } from './spinner';
import { useOnceAtATime } from './useOnceAtATime';
import { usePolled } from './usePolled';
import { Refused } from './loadError';

/** Milliseconds between refreshes of the page while it is shown. */
const POLL_MS = 3000;
/** Runs per page of the runs table. */
const PAGE_SIZE = 20;
/** Runs shown on the charts. */
const CHART_RUNS = 50;

/** A parameter value as a person reads it: text as is, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

interface IJobPageData {
  job: Job;
  runs: Run[];
  hasOlder: boolean;
  metrics: MetricSeries;
}

async function loadPage(jobId: number, runCount: number): Promise<IJobPageData> {
  const [job, runs, metrics] = await Promise.all([
    getJob(jobId),
    listJobRuns(jobId, runCount + 1),
    getJobMetrics(jobId, { limit: CHART_RUNS })
  ]);
  return { job, runs: runs.slice(0, runCount), hasOlder: runs.length > runCount, metrics };
}

/** What the job page can ask of the rest of the extension. */
export interface IJobPageActions {
  /** Open a run's executed notebook. */
  openOutput(run: Run): Promise<void>;
  /** Open the job's form to edit it. */
  edit(job: Job): Promise<void>;
  /** Delete the job once the user confirms it (the page then closes). */
  remove(job: Job): Promise<void>;
}

function JobPageContent({
  jobId,
  actions,
  isShown,
  trans
}: {
  jobId: number;
  actions: IJobPageActions;
  /** Whether the page's tab is shown (its data is read again only then); stable. */
  isShown: () => boolean;
  trans: TranslationBundle;
}): React.ReactElement {
  const [runCount, setRunCount] = React.useState(PAGE_SIZE);
  const { data, error, setError, reload, refused } = usePolled(
    React.useCallback(() => loadPage(jobId, runCount), [jobId, runCount]),
    { intervalMs: POLL_MS, shown: isShown }
  );

  const act = async (action: () => Promise<string>): Promise<void> => {
    try {
      notifySuccess(await action());
    } catch (reason) {
      notifyFailure(asError(reason).message);
    }
    reload();
  };

  const runNow = useOnceAtATime(async () => {
    if (data !== null) {
      const { job } = data;
      await act(async () =>
        trans.__('Run %1 of %2 is queued.', (await runJob(job.id)).id, job.name)
      );
    }
  });

  const pauseOrResume = useOnceAtATime(async () => {
    if (data !== null) {
      const { job } = data;
      await act(async () => {
        await updateJob(job.id, { paused: !job.paused });
        return job.paused
          ? trans.__('%1 is resumed.', job.name)
          : trans.__('%1 is paused.', job.name);
      });
    }
  });

  /** Edit or delete: its failure shows on the page until the next attempt. */
  const attempt = (action: () => Promise<void>): void => {
    setError(null);
    action().catch(reason => setError(asError(reason).message));
  };

  if (refused !== null) {
    return <Refused action={refused} message={error ?? ''} onRetry={reload} trans={trans} />;
  }
  if (data === null) {
    return error ? (
      <p role="alert" className="jp-nbtools-Error-message">
        {error}
      </p>
    ) : (
      <p role="status">{trans.__('Loading the job…')}</p>
    );
  }
  const { job, runs, hasOlder, metrics } = data;
  const parameters = Object.entries(job.parameters);
  const options: [string, string][] = [
    [
      trans.__('Retries'),
      job.retries
        ? trans.__(
            '%1, the first after %2 s, then doubling',
            job.retries,
            job.retry_backoff_seconds
          )
        : trans.__('none')
    ],
    [trans.__('Run timeout'), job.timeout_seconds ? `${job.timeout_seconds} s` : trans.__('none')],
    [
      trans.__('Cell timeout'),
      job.cell_timeout_seconds ? `${job.cell_timeout_seconds} s` : trans.__('none')
    ],
    [trans.__('Max concurrent runs'), String(job.max_concurrent)],
    [
      trans.__('After downtime'),
      job.missed_policy === 'catch_up'
        ? trans.__('catch up, at most %1 missed times', job.catch_up_limit)
        : job.missed_policy === 'skip'
          ? trans.__('skip missed times')
          : trans.__('run once for missed times')
    ],
    [trans.__('HTML report'), job.output_html ? trans.__('yes') : trans.__('no')],
    [trans.__('Kernel'), job.kernel_name ?? trans.__("the notebook's own")],
    [trans.__('Purpose'), job.purpose ?? trans.__('none')],
    [trans.__('Keep runs'), job.keep_runs ?? trans.__("the project's default")],
    [
      trans.__('Created'),
      job.created_by
        ? trans.__('%1 by %2', formatTime(job.created_at), job.created_by)
        : formatTime(job.created_at)
    ]
  ];
  return (
    <article className="jp-nbtools-JobPage" aria-labelledby={`jp-nbtools-job-${job.id}`}>
      <h1 id={`jp-nbtools-job-${job.id}`}>{job.name}</h1>
      {error && (
        <p role="alert" className="jp-nbtools-Error-message">
          {error}
        </p>
      )}
      {job.archived_at !== null ? (
        <p role="status" className="jp-nbtools-JobPage-archived">
          {trans.__(
            'This job was deleted on %1: it no longer runs and cannot be changed. Its runs stay listed below.',
            formatTime(job.archived_at)
          )}
        </p>
      ) : (
        <div className="jp-nbtools-JobPage-actions">
          {!job.service && (
            <Button className="jp-mod-styled jp-mod-accept" {...runNow.props}>
              {runNow.pending && <Spinner />}
              {trans.__('Run now')}
            </Button>
          )}
          {job.cron && (
            <Button minimal {...pauseOrResume.props}>
              {pauseOrResume.pending && <Spinner />}
              {job.paused ? trans.__('Resume') : trans.__('Pause')}
            </Button>
          )}
          {!job.service && (
            <Button minimal onClick={() => attempt(() => actions.edit(job))}>
              {trans.__('Edit')}
            </Button>
          )}
          <Button
            className="jp-mod-styled jp-mod-warn"
            onClick={() => attempt(() => actions.remove(job))}
          >
            {trans.__('Delete')}
          </Button>
        </div>
      )}
      <section aria-label={trans.__('Schedule')}>
        <h2>{trans.__('Schedule')}</h2>
        <dl className="jp-nbtools-JobPage-facts">
          <dt>{trans.__('Notebook')}</dt>
          <dd>
            {job.notebook_path}
            {job.pinned_version_id !== null &&
              ` · ${trans.__('pinned to version id %1, not the file on disk', job.pinned_version_id)}`}
          </dd>
          <dt>{trans.__('When')}</dt>
          <dd>
            {job.service
              ? trans.__('never: its runs are the traffic of a served package (nbtools serve)')
              : job.cron
                ? trans.__('%1 (%2)', job.schedule_description ?? job.cron, job.timezone)
                : trans.__('on demand')}
            {job.paused && ` · ${trans.__('paused')}`}
            {job.cron && <JobNotes notes={[job.timezone_note]} />}
          </dd>
          <dt>{trans.__('Next run')}</dt>
          <dd>
            {(job.cron && !job.paused && formatScheduled(job.next_run_at, job.timezone, trans)) ||
              '—'}
            <JobNotes notes={[job.next_run_note]} />
          </dd>
          {options.map(([name, value]) => (
            <React.Fragment key={name}>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
        </dl>
      </section>
      <section aria-label={trans.__('Parameters')}>
        <h2>{trans.__('Parameters')}</h2>
        {parameters.length === 0 ? (
          <p>{trans.__("The notebook's defaults.")}</p>
        ) : (
          <table className="jp-nbtools-JobPage-table" aria-label={trans.__('Parameters')}>
            <thead>
              <tr>
                <th scope="col">{trans.__('Name')}</th>
                <th scope="col">{trans.__('Value')}</th>
              </tr>
            </thead>
            <tbody>
              {parameters.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>
                    <code>{shown(value)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label={trans.__('Runs')}>
        <h2>{trans.__('Runs')}</h2>
        {runs.length === 0 ? (
          <p>{trans.__('No runs of this job yet.')}</p>
        ) : (
          <table className="jp-nbtools-JobPage-table" aria-label={trans.__('Runs of %1', job.name)}>
            <thead>
              <tr>
                <th scope="col">{trans.__('Run')}</th>
                <th scope="col">{trans.__('Status')}</th>
                <th scope="col">{trans.__('Started')}</th>
                <th scope="col">{trans.__('Duration')}</th>
                <th scope="col">{trans.__('Error')}</th>
                <th scope="col">{trans.__('Output')}</th>
                <th scope="col">{trans.__('Artifacts')}</th>
              </tr>
            </thead>
            <tbody>
              {runs.map(run => (
                <tr key={run.id}>
                  <th scope="row">#{run.id}</th>
                  <td>
                    <RunStatusBadge status={run.status} trans={trans} />
                    {retryText(run, trans) && (
                      <span className="jp-nbtools-JobPage-retry">{retryText(run, trans)}</span>
                    )}
                  </td>
                  <td>{formatTime(run.started_at) || '—'}</td>
                  <td>
                    {run.duration_seconds === null ? '—' : `${run.duration_seconds.toFixed(1)} s`}
                  </td>
                  <td>{run.error ? `${run.error.name}: ${run.error.message}` : ''}</td>
                  <td>
                    {run.output_notebook ? (
                      <Button
                        small
                        minimal
                        aria-label={trans.__('Open the output of run %1', run.id)}
                        onClick={() => void actions.openOutput(run)}
                      >
                        {trans.__('Open')}
                      </Button>
                    ) : (
                      erasedText(run, trans)
                    )}
                  </td>
                  <td>
                    <RunArtifacts run={run} trans={trans} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {hasOlder && (
          <Button small minimal onClick={() => setRunCount(runCount + PAGE_SIZE)}>
            {trans.__('Show older runs')}
          </Button>
        )}
      </section>
      <section aria-label={trans.__('Charts')}>
        <h2>{trans.__('Charts')}</h2>
        {metrics.runs.length === 0 ? (
          <p>{trans.__('No finished runs yet.')}</p>
        ) : (
          <div className="jp-nbtools-JobPage-charts">
            {chartsOf(metrics, trans).map(chart => (
              <MetricChart
                key={chart.name}
                title={chart.name}
                unit={chart.unit}
                runs={chart.runs}
                trans={trans}
              />
            ))}
          </div>
        )}
      </section>
    </article>
  );
}

/**
 * A job's page in the main area: its schedule and options, its parameters,
 * its runs (paged, refreshed while shown) and charts of its metrics and
 * durations, with Run now, Pause/Resume, Edit and Delete.
 */
export class JobPage extends ReactWidget {
  constructor(
    readonly jobId: number,
    private readonly _actions: IJobPageActions,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-nbtools-JobPageWidget');
  }

  private readonly _isShown = (): boolean => this.isVisible;

  protected render(): React.ReactElement {
    return (
      <JobPageContent
        jobId={this.jobId}
        actions={this._actions}
        isShown={this._isShown}
        trans={this._trans}
      />
    );
  }
}
