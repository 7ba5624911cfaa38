import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, VDomRenderer } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { Job, Run } from '../api';
import { CommandIDs } from '../tokens';
import { formatScheduled, formatTime } from './dates';
import { useFocusAfterRemoval } from './focusHandover';
import { JobMonitoring } from './jobMonitoring';
import { JobNotes } from './jobNotes';
import type { JobsModel } from './jobsModel';
import { RunLineageLine } from './lineage';
import { LoadError, Refused } from './loadError';
import { RunArtifacts } from './runArtifacts';
import { RunStatusBadge, erasedText, retryText } from './runStatus';
import { UnservedNotice } from './schedulerWatch';
import { Spinner } from './spinner';
import { useOnceAtATime } from './useOnceAtATime';

/**
 * The Jobs section: the active notebook's jobs, its runs (updating live) and
 * buttons opening the create/edit job form in the main area.
 */
export class JobsView extends VDomRenderer<JobsModel> {
  constructor(model: JobsModel, trans: TranslationBundle, commands: CommandRegistry | null = null) {
    super(model);
    this._trans = trans;
    this._commands = commands;
    this.addClass('jp-nbtools-Jobs');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setVisible(false);
  }

  protected render(): React.ReactElement {
    const { model } = this;
    const trans = this._trans;
    const dashboard = this._commands && (
      <Button
        minimal
        className="jp-nbtools-Jobs-dashboard"
        onClick={() => void this._commands?.execute(CommandIDs.openJobsDashboard)}
      >
        {trans.__('All jobs of the project')}
      </Button>
    );
    if (model.path === null) {
      return (
        <>
          <p>{trans.__('Open a notebook to run it as a job.')}</p>
          {dashboard}
        </>
      );
    }
    return (
      <>
        {dashboard}
        {model.waitingForScheduler && <UnservedNotice trans={trans} />}
        {this._commands && (
          <Button
            className="jp-mod-styled jp-mod-accept jp-nbtools-Jobs-create"
            onClick={() => void this._commands?.execute(CommandIDs.createJob, { path: model.path })}
          >
            {trans.__('Create job')}
          </Button>
        )}
        {model.error !== null && model.refused !== null ? (
          <Refused
            action={model.refused}
            message={model.error}
            onRetry={() => void model.refresh()}
            trans={trans}
          />
        ) : model.error !== null ? (
          // Not the lists: empty, they would say there are no jobs or runs.
          <LoadError title={trans.__('Could not load the jobs')} message={model.error} />
        ) : (
          <>
            <JobList model={model} commands={this._commands} trans={trans} />
            <RunList model={model} commands={this._commands} trans={trans} />
          </>
        )}
      </>
    );
  }

  private _trans: TranslationBundle;
  private _commands: CommandRegistry | null;
}

function JobList({
  model,
  commands,
  trans
}: {
  model: JobsModel;
  commands: CommandRegistry | null;
  trans: TranslationBundle;
}) {
  // A job deleted from its Delete button: once it has left the list, the focus (lost with the
  // button) goes to the first button of the job now in its place, else of the one before it,
  // else to Create job.
  const removing = useFocusAfterRemoval(
    model.jobs.map(job => job.id),
    '.jp-nbtools-Jobs-list > li',
    '.jp-nbtools-Jobs-create'
  );
  const onDelete = (job: Job, index: number, button: HTMLElement): void => {
    const section = button.closest<HTMLElement>('.jp-nbtools-Jobs');
    removing(section === null ? null : { key: job.id, index, within: section });
    void model.deleteJob(job).then(deleted => {
      if (!deleted) {
        removing(null);
      }
    });
  };
  if (model.jobs.length === 0) {
    return null;
  }
  return (
    <ul className="jp-nbtools-Jobs-list" aria-label={trans.__('Jobs')}>
      {model.jobs.map((job, index) => (
        <li key={job.id} aria-label={job.name}>
          <div className="jp-nbtools-Jobs-row">
            <strong className="jp-nbtools-Jobs-name" title={job.name}>
              {job.name}
            </strong>
            <span>
              {job.service
                ? trans.__('service traffic (nbtools serve)')
                : job.cron
                  ? job.paused
                    ? trans.__('paused · %1', job.schedule_description ?? job.cron)
                    : job.next_run_at
                      ? trans.__(
                          '%1 (%2) · next %3',
                          job.schedule_description ?? job.cron,
                          job.timezone,
                          formatScheduled(job.next_run_at, job.timezone, trans)
                        )
                      : trans.__(
                          '%1 (%2) · no next run',
                          job.schedule_description ?? job.cron,
                          job.timezone
                        )
                  : trans.__('on demand')}
            </span>
          </div>
          {job.cron && <JobNotes notes={[job.timezone_note, job.next_run_note]} />}
          <JobActions
            job={job}
            model={model}
            commands={commands}
            onDelete={button => onDelete(job, index, button)}
            trans={trans}
          />
          <JobMonitoring
            jobId={job.id}
            jobName={job.name}
            openAlerts={model.openAlerts(job.id)}
            seen={model.isSeen}
            onChange={() => void model.refresh()}
            trans={trans}
          />
        </li>
      ))}
    </ul>
  );
}

function JobActions({
  job,
  model,
  commands,
  onDelete,
  trans
}: {
  job: Job;
  model: JobsModel;
  commands: CommandRegistry | null;
  /** Delete the job (asking first), from its Delete `button`. */
  onDelete: (button: HTMLElement) => void;
  trans: TranslationBundle;
}) {
  const runNow = useOnceAtATime(() => model.runJob(job));
  const pauseOrResume = useOnceAtATime(() => model.setPaused(job, !job.paused));
  return (
    <div className="jp-nbtools-ButtonRow">
      {commands && (
        <Button
          minimal
          small
          onClick={() => void commands.execute(CommandIDs.openJob, { id: job.id })}
        >
          {trans.__('Open page')}
        </Button>
      )}
      {!job.service && (
        <Button minimal small {...runNow.props}>
          {runNow.pending && <Spinner />}
          {trans.__('Run now')}
        </Button>
      )}
      {job.cron && (
        <Button minimal small {...pauseOrResume.props}>
          {pauseOrResume.pending && <Spinner />}
          {job.paused ? trans.__('Resume') : trans.__('Pause')}
        </Button>
      )}
      {commands && !job.service && (
        <Button
          minimal
          small
          onClick={() => void commands.execute(CommandIDs.editJob, { id: job.id })}
        >
          {trans.__('Edit')}
        </Button>
      )}
      <Button
        small
        className="jp-mod-styled jp-mod-warn"
        onClick={event => onDelete(event.currentTarget)}
      >
        {trans.__('Delete')}
      </Button>
    </div>
  );
}

/** A running run's progress; cells are numbered from 1, as JupyterLab shows them. */
function progress(run: Run, trans: TranslationBundle): string {
  const { cells_done, cells_total, current_cell } = run.progress;
  if (run.status !== 'running' || cells_total === null) {
    return '';
  }
  return current_cell === null
    ? trans.__('%1/%2 cells done', cells_done ?? 0, cells_total)
    : trans.__('running cell %1/%2', current_cell + 1, cells_total);
}

function RunList({
  model,
  commands,
  trans
}: {
  model: JobsModel;
  commands: CommandRegistry | null;
  trans: TranslationBundle;
}) {
  // "Show older runs" keeps the focus while a page loads (marked aria-disabled, not disabled).
  // Once the last page is in, it goes, and the focus (lost with it) goes to the first run it
  // added.
  const list = React.useRef<HTMLUListElement>(null);
  const olderFrom = React.useRef<number | null>(null);
  React.useEffect(() => {
    const from = olderFrom.current;
    if (from === null || model.loadingOlderRuns) {
      return;
    }
    olderFrom.current = null;
    if (document.activeElement === null || document.activeElement === document.body) {
      list.current?.querySelectorAll<HTMLElement>(':scope > li')[from]?.focus();
    }
  });
  if (model.runs.length === 0) {
    return model.loaded ? (
      <p className="jp-nbtools-Jobs-empty">{trans.__('No runs of this notebook yet.')}</p>
    ) : (
      <p role="status">{trans.__('Loading the jobs…')}</p>
    );
  }
  return (
    <>
      <ul ref={list} className="jp-nbtools-Runs-list" aria-label={trans.__('Runs')}>
        {model.runs.map(run => (
          <li
            key={run.id}
            aria-label={trans.__('Run %1', run.id)}
            data-status={run.status}
            tabIndex={-1}
          >
            <div className="jp-nbtools-Jobs-row">
              <RunStatusBadge status={run.status} trans={trans} />
              <span>#{run.id}</span>
              <span>{formatTime(run.started_at ?? run.created_at)}</span>
              {run.duration_seconds !== null && <span>{run.duration_seconds.toFixed(1)} s</span>}
              {retryText(run, trans) && <span>{retryText(run, trans)}</span>}
            </div>
            {Object.keys(run.parameters).length > 0 && (
              <code className="jp-nbtools-Runs-parameters">{JSON.stringify(run.parameters)}</code>
            )}
            {progress(run, trans) && <p role="status">{progress(run, trans)}</p>}
            {commands && <RunLineageLine run={run} commands={commands} trans={trans} />}
            <RunArtifacts run={run} trans={trans} />
            {run.error && (
              <p className="jp-nbtools-Error-message" data-testid="nbtools-run-error">
                {`${run.error.name}: ${run.error.message}`}
                {run.error.cell !== null && (
                  <>
                    {' '}
                    {run.output_notebook ? (
                      <button
                        type="button"
                        className="jp-nbtools-LinkButton"
                        title={trans.__('Open the output notebook at this cell')}
                        onClick={() => void model.openOutput(run, true)}
                      >
                        {trans.__('cell %1', run.error.cell + 1)}
                      </button>
                    ) : (
                      trans.__('(cell %1)', run.error.cell + 1)
                    )}
                  </>
                )}
              </p>
            )}
            {erasedText(run, trans) && (
              <p className="jp-nbtools-Runs-erased">{erasedText(run, trans)}</p>
            )}
            <div className="jp-nbtools-ButtonRow">
              {run.output_notebook && (
                <Button minimal small onClick={() => void model.openOutput(run)}>
                  {trans.__('Open output')}
                </Button>
              )}
              {run.output_html && (
                <Button minimal small onClick={() => void model.downloadHtml(run)}>
                  {trans.__('Download HTML')}
                </Button>
              )}
              {(run.status === 'queued' || run.status === 'running') && (
                <Button
                  className="jp-mod-styled jp-mod-warn"
                  small
                  onClick={() => void model.cancel(run)}
                >
                  {trans.__('Cancel')}
                </Button>
              )}
              {run.finished_at && (
                <Button small minimal onClick={() => void model.rerun(run)}>
                  {trans.__('Rerun')}
                </Button>
              )}
              {run.finished_at && run.notebook_version_id !== null && (
                <Button
                  small
                  minimal
                  title={trans.__(
                    'Run this notebook version again with the same parameters, even if the notebook changed'
                  )}
                  onClick={() => void model.reproduce(run)}
                >
                  {trans.__('Reproduce')}
                </Button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {model.hasOlderRuns && (
        <Button
          minimal
          small
          className="jp-nbtools-Runs-older"
          aria-disabled={model.loadingOlderRuns}
          onClick={() => {
            olderFrom.current = model.runs.length;
            void model.showOlderRuns();
          }}
        >
          {trans.__('Show older runs')}
        </Button>
      )}
    </>
  );
}
