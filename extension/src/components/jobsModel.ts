import { PathExt } from '@jupyterlab/coreutils';
import { VDomModel } from '@jupyterlab/ui-components';

import {
  NbtoolsApiError,
  asError,
  cancelRun,
  createJob,
  deleteJob,
  downloadRunHtml,
  getParameters,
  listJobs,
  listRuns,
  openRunOutput,
  reproduceRun,
  rerunRun,
  runJob,
  runNotebook,
  updateJob
} from '../api';
import type { Job, JobFields, NotebookParameters, Run } from '../api';
import { saveBlob } from './download';
import { notifyFailure } from './notices';

/** Milliseconds between refreshes of the runs list while the section is visible. */
const POLL_MS = 1500;

/** The most runs the server lists in one request. */
const MAX_RUNS = 1000;

/** The create/edit form: which job (none: a new one) and the notebook's parameters. */
export interface JobForm {
  readonly job: Job | null;
  readonly path: string;
  /** The name a new job gets unless the user changes it: the notebook's, numbered if taken. */
  readonly defaultName: string;
  readonly parameters: NotebookParameters | null;
  readonly error: string | null;
}

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
  get form(): JobForm | null {
    return this._form;
  }
  /**
   * Why the jobs and runs could not be loaded, until they load again. (An
   * action's failure is an error notification.)
   */
  get error(): string | null {
    return this._error;
  }

  /** Follow another notebook (`null`: none open). */
  setPath(path: string | null): void {
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._jobs = [];
    this._runs = [];
    this._floor = null;
    this._hasOlder = false;
    this._error = null;
    this._form = null;
    this.stateChanged.emit();
    void this.refresh();
  }

  /** Refresh periodically while `visible` (set by the view). */
  setVisible(visible: boolean): void {
    window.clearInterval(this._timer);
    if (visible) {
      this._timer = window.setInterval(() => void this.refresh(), POLL_MS);
      void this.refresh();
    }
  }

  /**
   * Load the jobs and the runs again: the newest page of runs, or, once older
   * pages are shown, every run down to the oldest one shown.
   */
  async refresh(): Promise<void> {
    const path = this._path;
    if (path === null || this._loading) {
      return;
    }
    this._loading = true;
    const floor = this._floor;
    const size = this._pageSize;
    // One run more than shown says whether older ones exist.
    const limit = floor === null ? size + 1 : Math.min(MAX_RUNS, this._runs.length + size);
    try {
      const [jobs, runs] = await Promise.all([listJobs(path), listRuns(path, limit)]);
      if (
        path === this._path &&
        floor === this._floor &&
        size === this._pageSize &&
        !this.isDisposed
      ) {
        this._jobs = jobs;
        this._error = null;
        if (floor === null) {
          this._hasOlder = runs.length > size;
          this._runs = runs.slice(0, size);
        } else {
          this._runs = runs.filter(run => run.id >= floor);
        }
        this.stateChanged.emit();
      }
    } catch (reason) {
      this._fail(reason);
    } finally {
      this._loading = false;
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

  /** Open the form for a new job (of `path`, default the active notebook) or to edit `job`. */
  async openForm(job: Job | null = null, path: string | null = null): Promise<void> {
    const target = job?.notebook_path ?? path ?? this._path;
    if (target === null) {
      return;
    }
    if (target !== this._path) {
      this.setPath(target);
    }
    const stem = PathExt.basename(target, PathExt.extname(target));
    const taken = new Set(this._jobs.map(existing => existing.name));
    let defaultName = stem;
    for (let number = 2; taken.has(defaultName); number++) {
      defaultName = `${stem} ${number}`;
    }
    this._form = { job, path: target, defaultName, parameters: null, error: null };
    this.stateChanged.emit();
    try {
      const parameters = await getParameters(target);
      if (this._form?.path === target) {
        this._form = { ...this._form, parameters };
      }
    } catch (reason) {
      if (this._form?.path === target) {
        this._form = { ...this._form, error: asError(reason).message };
      }
    }
    this.stateChanged.emit();
  }

  closeForm(): void {
    this._form = null;
    this.stateChanged.emit();
  }

  /**
   * Save the form: a new job without a schedule is a one-off run of the
   * notebook (no job is stored); otherwise create or update the job and, with
   * `runNow`, queue a run of it. A refusal (bad cron, a name taken, a wrong
   * parameter type, ...) is returned by field and the form stays open.
   */
  async saveForm(fields: JobFields, runNow: boolean): Promise<FieldErrors | null> {
    const form = this._form;
    if (form === null) {
      return null;
    }
    try {
      if (form.job === null && runNow) {
        await runNotebook({
          notebook_path: form.path,
          parameters: fields.parameters,
          timeout_seconds: fields.timeout_seconds,
          cell_timeout_seconds: fields.cell_timeout_seconds,
          output_html: fields.output_html
        });
      } else {
        const job = form.job
          ? await updateJob(form.job.id, fields)
          : await createJob({ ...fields, notebook_path: form.path });
        if (runNow) {
          await runJob(job.id);
        }
      }
      this._form = null;
      await this.refresh();
      return null;
    } catch (reason) {
      return fieldErrors(reason);
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
  /** Delete a job once the user confirms it. */
  async deleteJob(job: Job): Promise<void> {
    if (await this._confirmDelete(job)) {
      await this._act(() => deleteJob(job.id));
    }
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

  private _fail(reason: unknown): void {
    this._error = asError(reason).message;
    this.stateChanged.emit();
  }

  private _path: string | null = null;
  private _jobs: Job[] = [];
  private _runs: Run[] = [];
  private _pageSize = 20;
  /** Once older pages are shown, the oldest run id listed; `null`: the newest page only. */
  private _floor: number | null = null;
  private _hasOlder = false;
  private _loadingOlder = false;
  private _form: JobForm | null = null;
  private _error: string | null = null;
  private _loading = false;
  private _timer = 0;
}

/** Errors of the job form, by field (parameters as `parameter:<name>`, others `''`). */
export type FieldErrors = Record<string, string>;

/** The field an API error names (`details.field`), if any. */
export function fieldOf(reason: unknown): string | null {
  const field = reason instanceof NbtoolsApiError ? reason.details.field : undefined;
  return typeof field === 'string' ? field : null;
}

/**
 * The errors of a refused save by field: the server names the field in
 * `details.field` (a parameter as `details.parameter`); others go to `''`.
 */
export function fieldErrors(reason: unknown): FieldErrors {
  const message = asError(reason).message;
  if (reason instanceof NbtoolsApiError) {
    const parameter = reason.details.parameter;
    if (typeof parameter === 'string') {
      return { [`parameter:${parameter}`]: message };
    }
    const field = fieldOf(reason);
    if (field !== null) {
      return { [field]: message };
    }
    if (typeof reason.details.cron === 'string') {
      return { cron: message };
    }
  }
  return { '': message };
}
