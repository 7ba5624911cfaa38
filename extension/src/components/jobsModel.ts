import { VDomModel } from '@jupyterlab/ui-components';

import {
  asError,
  cancelRun,
  deleteJob,
  downloadRunHtml,
  getOpenAlertCounts,
  listJobs,
  listRuns,
  openRunOutput,
  reproduceRun,
  rerunRun,
  runJob,
  runNotebook,
  updateJob
} from '../api';
import type { Job, Run } from '../api';
import { saveBlob } from './download';
import { notifyFailure } from './notices';
import { Reloader } from './reloader';
import { SchedulerWatch } from './schedulerWatch';

/** Milliseconds between refreshes of the runs list while the section is visible. */
const POLL_MS = 1500;

/** The most runs the server lists in one request. */
const MAX_RUNS = 1000;

/**
 * Jobs and runs of the active notebook, refreshed live while visible, and the
 * actions of the Jobs section.
 */
export class JobsModel extends VDomModel {
  /**
   * @param _openPath - open a notebook, at a cell (0-based, of the source
   *   notebook) when given
   * @param _confirmDelete - ask the user whether to delete a job
   */
  constructor(
    private readonly _openPath: (path: string, cell?: number) => Promise<void>,
    private readonly _confirmDelete: (job: Job) => Promise<boolean> = () => Promise.resolve(true)
  ) {
    super();
  }

  get path(): string | null {
    return this._path;
  }
  get jobs(): readonly Job[] {
    return this._jobs;
  }
  get runs(): readonly Run[] {
    return this._runs;
  }
  /** How many open alerts a job has (read with the jobs: one request for all of them). */
  openAlerts(jobId: number): number {
    return this._openAlerts[String(jobId)] ?? 0;
  }
  /** Whether the section is shown in a browser tab that is not hidden (a stable function). */
  readonly isSeen = (): boolean => this._visible && !document.hidden;
  /** Whether there are runs older than those listed. */
  get hasOlderRuns(): boolean {
    return this._hasOlder;
  }
  /** Whether the next page of older runs is loading. */
  get loadingOlderRuns(): boolean {
    return this._loadingOlder;
  }

  /** Runs listed at first and added by each `showOlderRuns` (the setting `runsPageSize`). */
  get pageSize(): number {
    return this._pageSize;
  }
  set pageSize(size: number) {
    if (size === this._pageSize) {
      return;
    }
    this._pageSize = size;
    this._floor = null;
    void this.refresh();
  }
  /**
   * Whether scheduled or queued runs of the notebook wait because no scheduler serves the
   * store (`GET /status`'s schedulers: none alive).
   */
  get waitingForScheduler(): boolean {
    return (
      this._schedulers.unserved &&
      (this._jobs.some(job => job.next_run_at !== null && !job.paused) ||
        this._runs.some(run => run.status === 'queued'))
    );
  }
  /**
   * Why the jobs and runs could not be loaded, until they load again. (An
   * action's failure is an error notification.)
   */
  get error(): string | null {
    return this._error;
  }

  /** The action the server refused the user (403) on the last load: polling waits for `refresh`. */
  get refused(): string | null {
    return this._refused;
  }
  /** Whether the notebook's jobs and runs have loaded (since it was followed). */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Follow another notebook (`null`: none open). */
  setPath(path: string | null): void {
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._jobs = [];
    this._openAlerts = {};
    this._runs = [];
    this._floor = null;
    this._hasOlder = false;
    this._error = null;
    this._loaded = false;
    this.stateChanged.emit();
    void this.refresh();
  }

  /** Refresh periodically while `visible` (set by the view) and the browser tab is shown. */
  setVisible(visible: boolean): void {
    window.clearInterval(this._timer);
    this._visible = visible;
    if (visible) {
      this._timer = window.setInterval(() => document.hidden || this._loads.poll(), POLL_MS);
      void this.refresh();
    }
  }

  /**
   * Load the jobs and the runs again: the newest page of runs, or, once older
   * pages are shown, every run down to the oldest one shown. Asked while a load
   * is under way, the load is done again once that one ends (its notebook or
   * page may have changed meanwhile); the promise resolves after that.
   */
  refresh(): Promise<void> {
    return this._loads.reload();
  }

  private async _load(): Promise<void> {
    const path = this._path;
    if (path === null) {
      return;
    }
    const floor = this._floor;
    const size = this._pageSize;
    // An answer for another notebook or page than the one now shown is dropped.
    const current = (): boolean =>
      path === this._path && floor === this._floor && size === this._pageSize && !this.isDisposed;
    // One run more than shown says whether older ones exist.
    const limit = floor === null ? size + 1 : Math.min(MAX_RUNS, this._runs.length + size);
    try {
      const [jobs, runs, openAlerts] = await Promise.all([
        listJobs(path),
        listRuns(path, limit),
        getOpenAlertCounts()
      ]);
      if (current()) {
        this._jobs = jobs;
        this._openAlerts = openAlerts;
        this._error = null;
        this._refused = null;
        this._loaded = true;
        if (floor === null) {
          this._hasOlder = runs.length > size;
          this._runs = runs.slice(0, size);
        } else {
          this._runs = runs.filter(run => run.id >= floor);
        }
        this.stateChanged.emit();
      }
      if ((await this._schedulers.check()) && !this.isDisposed) {
        this.stateChanged.emit();
      }
    } catch (reason) {
      const refused = this._loads.hold(reason);
      if (current()) {
        this._error = asError(reason).message;
        this._refused = refused;
        this.stateChanged.emit();
      }
    }
  }

  /** Add the next page of older runs to the list. */
  async showOlderRuns(): Promise<void> {
    const path = this._path;
    const oldest = this._runs[this._runs.length - 1];
    if (path === null || oldest === undefined || this._loadingOlder) {
      return;
    }
    this._loadingOlder = true;
    this.stateChanged.emit();
    const size = this._pageSize;
    try {
      const page = await listRuns(path, size + 1, oldest.id);
      if (path === this._path && size === this._pageSize) {
        const older = page.slice(0, size).filter(run => run.id < this._oldestId());
        this._runs = [...this._runs, ...older];
        this._floor = this._oldestId();
        this._hasOlder = page.length > size;
      }
    } catch (reason) {
      notifyFailure(asError(reason).message);
    } finally {
      this._loadingOlder = false;
      this.stateChanged.emit();
    }
  }

  /** Queue one run of the notebook at `path` with its default parameters (no job). */
  async runOnce(path: string): Promise<Run> {
    const run = await runNotebook({ notebook_path: path });
    await this.refresh();
    return run;
  }

  runJob(job: Job): Promise<void> {
    return this._act(() => runJob(job.id));
  }
  setPaused(job: Job, paused: boolean): Promise<void> {
    return this._act(() => updateJob(job.id, { paused }));
  }
  /** Delete a job once the user confirms it; resolves to whether they did, once reloaded. */
  async deleteJob(job: Job): Promise<boolean> {
    if (!(await this._confirmDelete(job))) {
      return false;
    }
    await this._act(() => deleteJob(job.id));
    return true;
  }
  cancel(run: Run): Promise<void> {
    return this._act(() => cancelRun(run.id));
  }
  rerun(run: Run): Promise<void> {
    return this._act(() => rerunRun(run.id));
  }
  reproduce(run: Run): Promise<void> {
    return this._act(() => reproduceRun(run.id));
  }
  /** Open the run's executed notebook, at the cell of its error when `atError`. */
  openOutput(run: Run, atError = false): Promise<void> {
    const cell = atError ? (run.error?.cell ?? undefined) : undefined;
    return this._act(async () => this._openPath((await openRunOutput(run.id)).path, cell));
  }
  downloadHtml(run: Run): Promise<void> {
    return this._act(async () => {
      const { filename, blob } = await downloadRunHtml(run.id);
      saveBlob(filename, blob);
    });
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._loads.stop();
    super.dispose();
  }

  private async _act(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (reason) {
      notifyFailure(asError(reason).message);
    }
    await this.refresh();
  }

  private _oldestId(): number {
    return this._runs[this._runs.length - 1]?.id ?? Infinity;
  }

  private _path: string | null = null;
  private _jobs: Job[] = [];
  private _runs: Run[] = [];
  private _openAlerts: Record<string, number> = {};
  private _visible = false;
  private _pageSize = 20;
  /** Once older pages are shown, the oldest run id listed; `null`: the newest page only. */
  private _floor: number | null = null;
  private _hasOlder = false;
  private _loadingOlder = false;
  private _error: string | null = null;
  private _refused: string | null = null;
  private _loaded = false;
  private _loads = new Reloader(() => this._load());
  private _timer = 0;
  private _schedulers = new SchedulerWatch();
}
