import { VDomModel } from '@jupyterlab/ui-components';

import {
  cancelRun,
  createJob,
  deleteJob,
  downloadRunHtml,
  getParameters,
  listJobs,
  listRuns,
  openRunOutput,
  rerunRun,
  runJob,
  updateJob
} from '../api';
import type { Job, JobFields, NotebookParameters, Run } from '../api';
import { saveBlob } from './download';

/** Milliseconds between refreshes of the runs list while the section is visible. */
const POLL_MS = 1500;

/** The create/edit form: which job (none: a new one) and the notebook's parameters. */
export interface JobForm {
  readonly job: Job | null;
  readonly path: string;
  readonly parameters: NotebookParameters | null;
  readonly error: string | null;
}

/**
 * Jobs and runs of the active notebook, refreshed live while visible, and the
 * actions of the Jobs section.
 */
export class JobsModel extends VDomModel {
  constructor(private readonly _openPath: (path: string) => void) {
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
  get form(): JobForm | null {
    return this._form;
  }
  /** The last failure of a load or an action, shown until the next success. */
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

  async refresh(): Promise<void> {
    const path = this._path;
    if (path === null || this._loading) {
      return;
    }
    this._loading = true;
    try {
      const [jobs, runs] = await Promise.all([listJobs(path), listRuns(path)]);
      if (path === this._path && !this.isDisposed) {
        this._jobs = jobs;
        this._runs = runs;
        this.stateChanged.emit();
      }
    } catch (reason) {
      this._fail(reason);
    } finally {
      this._loading = false;
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
    this._form = { job, path: target, parameters: null, error: null };
    this.stateChanged.emit();
    try {
      const parameters = await getParameters(target);
      if (this._form?.path === target) {
        this._form = { ...this._form, parameters };
      }
    } catch (reason) {
      if (this._form?.path === target) {
        this._form = { ...this._form, error: messageOf(reason) };
      }
    }
    this.stateChanged.emit();
  }

  closeForm(): void {
    this._form = null;
    this.stateChanged.emit();
  }

  /**
   * Create or update the form's job; with `runNow`, queue a run right away.
   * Errors (bad cron, wrong parameter type, ...) stay in the open form.
   */
  async saveForm(fields: JobFields, runNow: boolean): Promise<void> {
    const form = this._form;
    if (form === null) {
      return;
    }
    try {
      const job = form.job
        ? await updateJob(form.job.id, fields)
        : await createJob({ ...fields, notebook_path: form.path });
      if (runNow) {
        await runJob(job.id);
      }
      this._form = null;
      this._error = null;
      await this.refresh();
    } catch (reason) {
      this._form = { ...form, error: messageOf(reason) };
      this.stateChanged.emit();
    }
  }

  runJob(job: Job): Promise<void> {
    return this._act(() => runJob(job.id));
  }
  setPaused(job: Job, paused: boolean): Promise<void> {
    return this._act(() => updateJob(job.id, { paused }));
  }
  deleteJob(job: Job): Promise<void> {
    return this._act(() => deleteJob(job.id));
  }
  cancel(run: Run): Promise<void> {
    return this._act(() => cancelRun(run.id));
  }
  rerun(run: Run): Promise<void> {
    return this._act(() => rerunRun(run.id));
  }
  openOutput(run: Run): Promise<void> {
    return this._act(async () => this._openPath((await openRunOutput(run.id)).path));
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
      this._error = null;
    } catch (reason) {
      this._fail(reason);
    }
    await this.refresh();
  }

  private _fail(reason: unknown): void {
    this._error = messageOf(reason);
    this.stateChanged.emit();
  }

  private _path: string | null = null;
  private _jobs: Job[] = [];
  private _runs: Run[] = [];
  private _form: JobForm | null = null;
  private _error: string | null = null;
  private _loading = false;
  private _timer = 0;
}

export function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
