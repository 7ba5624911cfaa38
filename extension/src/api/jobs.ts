import { downloadAPI, fetchAPI, requestAPI } from './request';
import type { Classification } from './data';
import type { LineageRun } from './lineage';

/**
 * Wire types and calls of the jobs API (`/nbtools/api/jobs`, `/runs`,
 * `/parameters`, `/cron/preview`). Field names follow the server's JSON.
 */

export type ParameterType = 'int' | 'float' | 'str' | 'bool' | 'None' | 'list' | 'dict';

/** A parameter declared in the notebook's `parameters` cell. */
export interface NotebookParameter {
  name: string;
  type: ParameterType;
  default: unknown;
  help: string;
}

/** `GET parameters?path=`. */
export interface NotebookParameters {
  /** Index of the `parameters` cell, `null` when the notebook has none. */
  cell: number | null;
  parameters: NotebookParameter[];
}

/** `GET cron/preview?cron=&timezone=`. */
export interface CronPreview {
  cron: string;
  timezone: string;
  description: string;
  next: string[];
  next_local: string[];
  presets: Record<string, string>;
}

/** What a job does with due times missed while no scheduler ran (docs/jobs.md, Missed runs). */
export type MissedPolicy = 'run_once' | 'skip' | 'catch_up';

/** The most missed due times a `catch_up` job runs (the server's `MAX_CATCH_UP`). */
export const MAX_CATCH_UP = 1000;

/** Fields of a job that can be created or edited. */
export interface JobFields {
  name?: string | null;
  notebook_path?: string;
  parameters?: Record<string, unknown>;
  cron?: string | null;
  timezone?: string;
  paused?: boolean;
  retries?: number;
  retry_backoff_seconds?: number;
  timeout_seconds?: number | null;
  /** Seconds one cell may run (papermill's `execution_timeout`); `null`: no limit. */
  cell_timeout_seconds?: number | null;
  max_concurrent?: number;
  output_html?: boolean;
  missed_policy?: MissedPolicy;
  /** With `missed_policy` `catch_up`: at most this many missed due times run (the latest). */
  catch_up_limit?: number;
  kernel_name?: string | null;
  /** What the job's data is used for (required with personal or sensitive datasets, and those listing purposes). */
  purpose?: string | null;
  /** How long its ended runs are kept: an age (`30d`) or a count (`10`); `null`: the project's. */
  keep_runs?: string | null;
}

export interface Job extends Required<Omit<JobFields, 'name'>> {
  id: number;
  name: string;
  schedule_description: string | null;
  /**
   * How a time zone an older version stored is read (`localtime`: the machine's zone, which
   * `timezone` names), and what to do about it; `null` for an IANA name.
   */
  timezone_note: string | null;
  next_run_at: string | null;
  /** Why a scheduled job, neither paused nor archived, has no next run; else `null`. */
  next_run_note: string | null;
  /** The notebook version the job runs instead of the file on disk (`schedule add --pin-version`). */
  pinned_version_id: number | null;
  /**
   * The job a served package's traffic is recorded under (`nbtools serve --record-to`): its
   * runs are the service's minutes; it runs no notebook, and only `keep_runs` and `paused` change.
   */
  service: boolean;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  /** When the job was deleted (archived: it no longer runs and is read-only); `null` while active. */
  archived_at: string | null;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

export interface Run extends LineageRun {
  id: number;
  job_id: number | null;
  trigger: string;
  notebook_path: string;
  parameters: Record<string, unknown>;
  status: RunStatus;
  attempt: number;
  /** The run this one retries (its job's retry policy), if it is a retry. */
  retry_of: number | null;
  /** A retry waits until then (its backoff) before a worker takes it. */
  not_before: string | null;
  scheduled_for: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  cancel_requested: boolean;
  progress: { cells_total: number | null; cells_done: number | null; current_cell: number | null };
  error: { name: string; message: string; cell: number | null } | null;
  notebook_sha256: string | null;
  output_notebook: string | null;
  output_html: string | null;
  /** When retention deleted the run's outputs (the run stays in the history). */
  pruned_at: string | null;
  /** When a purge of a dataset it used (an erasure request) deleted its outputs. */
  purged_at: string | null;
  /** The files the run kept (`nbtools.artifacts`), by name. */
  artifacts?: RunArtifact[];
}

/** A file a run kept. */
export interface RunArtifact {
  run_id: number;
  name: string;
  /** Bytes. */
  size: number;
  sha256: string;
  /** Where it is stored: relative to the server root when inside it; a URL without its login. */
  location: string;
  created_at: string;
}

export function getParameters(path: string): Promise<NotebookParameters> {
  return requestAPI<NotebookParameters>(`parameters?${new URLSearchParams({ path })}`);
}

export function previewCron(cron: string, timezone: string): Promise<CronPreview> {
  return requestAPI<CronPreview>(`cron/preview?${new URLSearchParams({ cron, timezone })}`);
}

/** A dataset the notebook uses (`nbtools.data.path` or a literal path matching its location). */
export interface DatasetUse {
  dataset: string;
  classification: Classification;
  /** The purposes the dataset allows. */
  purposes: string[];
  how: 'declared' | 'detected';
  cell: number;
  line: number;
  /** Why the use is refused for the purpose asked, or `null`. */
  refused: string | null;
}

/** A cell the data check cannot read, even as IPython reads it: it could use any dataset. */
export interface UnreadableCell {
  /** From 0. */
  cell: number;
  line: number;
  error: string;
}

/** A data call whose location the check cannot know before the run: it could read any dataset. */
export interface UnresolvedCall {
  /** From 0. */
  cell: number;
  line: number;
  /** The call as written. */
  call: string;
}

/** `GET data/check?path=`: the notebook's data and whether a job of it needs a purpose. */
export interface NotebookDataCheck {
  notebook_path: string;
  purpose: string | null;
  purpose_required: boolean;
  uses: DatasetUse[];
  unreadable: UnreadableCell[];
  unresolved: UnresolvedCall[];
  /** The kernel language when it is not Python: the check read none of the notebook. */
  language: string | null;
  warnings: string[];
}

export function checkNotebookData(path: string): Promise<NotebookDataCheck> {
  return requestAPI<NotebookDataCheck>(`data/check?${new URLSearchParams({ path })}`);
}

export function listJobs(path: string): Promise<Job[]> {
  return requestAPI<Job[]>(`jobs?${new URLSearchParams({ path })}`);
}

/** A run as the jobs dashboard shows it. */
export interface RunPoint {
  id: number;
  status: RunStatus;
  created_at: string;
  finished_at: string | null;
  duration_seconds: number | null;
}

/** A row of the jobs dashboard: a job with its latest run, its recent ended runs and alerts. */
export interface JobOverview extends Job {
  created_by: string | null;
  last_run: RunPoint | null;
  /** The latest ended runs, oldest first. */
  recent_runs: RunPoint[];
  open_alerts: number;
}

/** What the dashboard filters on: the job's state or its latest run's status. */
export type JobStatusFilter = 'active' | 'paused' | 'never_run' | RunStatus;

/** The columns the dashboard sorts on. */
export type JobSortKey =
  | 'name'
  | 'notebook_path'
  | 'next_run_at'
  | 'last_run_at'
  | 'last_status'
  | 'open_alerts'
  | 'created_by';

/** `GET jobs/overview`: which page of which jobs, in which order. */
export interface JobsOverviewQuery {
  q?: string;
  status?: JobStatusFilter | null;
  sort?: JobSortKey;
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

/** One page of the dashboard; `total` jobs match in all. */
export interface JobsPage {
  total: number;
  offset: number;
  limit: number;
  jobs: JobOverview[];
}

/** A page of every active job of the project, for the jobs dashboard. */
export function listJobsOverview(query: JobsOverviewQuery): Promise<JobsPage> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(name, String(value));
    }
  }
  return requestAPI<JobsPage>(`jobs/overview?${params}`);
}

export function getJob(id: number): Promise<Job> {
  return requestAPI<Job>(`jobs/${id}`);
}

/**
 * The kernel check of a request that saves a job or queues a run: by default a `kernel_name`
 * not installed on the server's machine is refused (404, `details.kernel_check` true); `false`
 * accepts it, for a scheduler on another machine that has it.
 */
export interface KernelCheck {
  kernel_check?: boolean;
}

export function createJob(fields: JobFields & KernelCheck): Promise<Job> {
  return requestAPI<Job>('jobs', { method: 'POST', body: JSON.stringify(fields) });
}

export function updateJob(id: number, fields: JobFields & KernelCheck): Promise<Job> {
  return requestAPI<Job>(`jobs/${id}`, { method: 'PATCH', body: JSON.stringify(fields) });
}

export function deleteJob(id: number): Promise<void> {
  return requestAPI<void>(`jobs/${id}`, { method: 'DELETE' });
}

/** What a one-off run of a notebook (without a job) takes. */
export interface RunOnce extends KernelCheck {
  notebook_path: string;
  parameters?: Record<string, unknown>;
  kernel_name?: string | null;
  timeout_seconds?: number | null;
  cell_timeout_seconds?: number | null;
  output_html?: boolean;
  purpose?: string | null;
}

/** Queue one run of a notebook, without creating a job. */
export function runNotebook(request: RunOnce): Promise<Run> {
  return requestAPI<Run>('runs', { method: 'POST', body: JSON.stringify(request) });
}

export function runJob(id: number): Promise<Run> {
  return requestAPI<Run>(`jobs/${id}/run`, { method: 'POST', body: '{}' });
}

/**
 * Runs of a notebook, newest first: `limit` of them, older than the run
 * `before` when given (the last run of the previous page).
 */
export function listRuns(path: string, limit: number, before?: number): Promise<Run[]> {
  const query = new URLSearchParams({ path, limit: String(limit) });
  if (before !== undefined) {
    query.set('before', String(before));
  }
  return requestAPI<Run[]>(`runs?${query}`);
}

/** Runs of a job, newest first: `limit` of them, older than the run `before` when given. */
export function listJobRuns(jobId: number, limit: number, before?: number): Promise<Run[]> {
  const query = new URLSearchParams({ job_id: String(jobId), limit: String(limit) });
  if (before !== undefined) {
    query.set('before', String(before));
  }
  return requestAPI<Run[]>(`runs?${query}`);
}

/** The newest `limit` runs of the whole project, newest first. */
export function listRecentRuns(limit: number): Promise<Run[]> {
  return requestAPI<Run[]>(`runs?${new URLSearchParams({ limit: String(limit) })}`);
}

export function getRun(id: number): Promise<Run> {
  return requestAPI<Run>(`runs/${id}`);
}

export function cancelRun(id: number): Promise<Run> {
  return requestAPI<Run>(`runs/${id}/cancel`, { method: 'POST', body: '{}' });
}

export function rerunRun(id: number): Promise<Run> {
  return requestAPI<Run>(`runs/${id}/rerun`, { method: 'POST', body: '{}' });
}

/** Copy the run's executed notebook where JupyterLab can open it; returns its path. */
export function openRunOutput(id: number): Promise<{ path: string }> {
  return requestAPI<{ path: string }>(`runs/${id}/open`, { method: 'POST', body: '{}' });
}

/**
 * The run's HTML report as a file download (never rendered on the Jupyter origin).
 */
export function downloadRunHtml(id: number): Promise<{ filename: string; blob: Blob }> {
  return downloadAPI(`runs/${id}/download/html`, `run-${id}.html`);
}

/** One artifact of a run, as a file to save. */
export async function downloadRunArtifact(id: number, name: string): Promise<Blob> {
  const response = await fetchAPI(`runs/${id}/artifacts/${encodeURIComponent(name)}`);
  return response.blob();
}
