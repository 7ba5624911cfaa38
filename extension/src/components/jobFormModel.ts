import { PathExt } from '@jupyterlab/coreutils';

import {
  NbtoolsApiError,
  asError,
  checkNotebookData,
  createJob,
  getParameters,
  listJobs,
  refusals,
  runJob,
  runNotebook,
  updateJob
} from '../api';
import type { Job, JobFields, NotebookDataCheck, NotebookParameters } from '../api';
import type { FieldErrors } from './tryItForm';

export type { FieldErrors };

/** What the create/edit job form starts from: the job (none: a new one) and its notebook. */
export interface JobForm {
  readonly job: Job | null;
  readonly path: string;
  /** The name a new job gets unless the user changes it: the notebook's, numbered if taken. */
  readonly defaultName: string;
  /** The notebook's `parameters` cell. */
  readonly parameters: NotebookParameters;
  /** The datasets the notebook uses, and whether a job of it needs a purpose. */
  readonly data: NotebookDataCheck;
}

/** Read what the form for `job` (or a new job of the notebook at `path`) needs. */
export async function loadJobForm(job: Job | null, path: string): Promise<JobForm> {
  const [jobs, parameters, data] = await Promise.all([
    listJobs(path),
    getParameters(path),
    checkNotebookData(path)
  ]);
  const stem = PathExt.basename(path, PathExt.extname(path));
  const taken = new Set(jobs.map(existing => existing.name));
  let defaultName = stem;
  for (let number = 2; taken.has(defaultName); number++) {
    defaultName = `${stem} ${number}`;
  }
  return { job, path, defaultName, parameters, data };
}

/** What a saved form made: a job (created or edited), or one run of the notebook. */
export type JobFormResult = { job: Job } | { runId: number };

/**
 * Save the form: a new job without a schedule is a one-off run of the
 * notebook (no job is stored); otherwise create or update the job and, with
 * `runNow`, queue a run of it. Without `kernelCheck` a kernel not installed on
 * the server's machine is accepted (a scheduler elsewhere has it). A refusal
 * (bad cron, a name taken, a wrong parameter type, a purpose the data does not
 * allow, an unknown kernel, ...) throws {@link JobFormRefused} with the errors
 * by field.
 */
export async function saveJobForm(
  form: JobForm,
  fields: JobFields,
  runNow: boolean,
  kernelCheck: boolean
): Promise<JobFormResult> {
  const check = kernelCheck ? {} : { kernel_check: false };
  try {
    if (form.job === null && runNow) {
      const run = await runNotebook({
        notebook_path: form.path,
        parameters: fields.parameters,
        kernel_name: fields.kernel_name,
        timeout_seconds: fields.timeout_seconds,
        cell_timeout_seconds: fields.cell_timeout_seconds,
        output_html: fields.output_html,
        purpose: fields.purpose,
        ...check
      });
      return { runId: run.id };
    }
    const job = form.job
      ? await updateJob(form.job.id, { ...fields, ...check })
      : await createJob({ ...fields, notebook_path: form.path, ...check });
    if (runNow) {
      await runJob(job.id);
    }
    return { job };
  } catch (reason) {
    throw new JobFormRefused(
      fieldErrors(reason),
      reason instanceof NbtoolsApiError && reason.details.kernel_check === true
    );
  }
}

/**
 * The server refused the form: its errors by field, and whether it refused a
 * kernel not installed on its machine, which saving without the kernel check
 * would accept.
 */
export class JobFormRefused extends Error {
  constructor(
    readonly errors: FieldErrors,
    readonly kernelCheckRefused: boolean
  ) {
    super(Object.values(errors).join(' '));
  }
}

/**
 * The errors of a refused save by field, every field the server refused (it names each in
 * `details.field`, a parameter as `details.parameter`); others go to `''`.
 */
export function fieldErrors(reason: unknown): FieldErrors {
  if (!(reason instanceof NbtoolsApiError)) {
    return { '': asError(reason).message };
  }
  const errors: FieldErrors = {};
  for (const { details, message } of refusals(reason)) {
    const field =
      typeof details.parameter === 'string'
        ? `parameter:${details.parameter}`
        : typeof details.field === 'string'
          ? details.field
          : '';
    errors[field] = field in errors ? `${errors[field]} ${message}` : message;
  }
  return errors;
}
