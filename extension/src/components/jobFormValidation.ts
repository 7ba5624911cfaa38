import type { TranslationBundle } from '@jupyterlab/translation';

import { MAX_CATCH_UP, asError } from '../api';
import type { JobFields, MissedPolicy, NotebookParameter } from '../api';
import { display, nonFinite, parse } from './jobFormFields';
import type { FieldErrors, JobForm } from './jobFormModel';

/**
 * The job form's values as the server takes them, and the errors the form
 * finds itself before sending them (each under its field's name).
 */

/** Whole-number options of a saved job and their smallest values. */
const WHOLE_NUMBERS: [string, number][] = [
  ['retries', 0],
  ['retry_backoff_seconds', 0],
  ['max_concurrent', 1]
];

/** Timeouts: empty (no limit) or a positive whole number of seconds. */
const TIMEOUTS = ['timeout_seconds', 'cell_timeout_seconds'];

/** What the user has entered in the form, as text where it is typed. */
export interface IJobFormEntries {
  name: string;
  /** Parameter values typed so far, by name (the others show their saved or default value). */
  values: Record<string, string>;
  scheduled: boolean;
  /** The schedule's cron expression; `null` when a preset has no time picked. */
  expression: string | null;
  timezone: string;
  /** The whole-number and timeout fields, and the catch-up limit, as typed. */
  numbers: Record<string, string>;
  keepRuns: string;
  /** The kernel's name as typed (empty: the notebook's own). */
  kernel: string;
  purpose: string;
  html: boolean;
  missed: MissedPolicy;
}

/** The option fields' text for `job` (or a new job's defaults). */
export function initialNumbers(job: JobForm['job']): Record<string, string> {
  return {
    retries: String(job?.retries ?? 0),
    retry_backoff_seconds: String(job?.retry_backoff_seconds ?? 60),
    timeout_seconds: String(job?.timeout_seconds ?? ''),
    cell_timeout_seconds: String(job?.cell_timeout_seconds ?? ''),
    max_concurrent: String(job?.max_concurrent ?? 1),
    catch_up_limit: String(job?.catch_up_limit ?? 10)
  };
}

/** A parameter's value before the user types: the job's, else its default. */
export function parameterValue(form: JobForm, parameter: NotebookParameter): unknown {
  return form.job?.parameters[parameter.name] ?? parameter.default;
}

/** The input type of a parameter's field: a number field, unless its value is no finite number. */
export function parameterInputType(form: JobForm, parameter: NotebookParameter): string {
  const numeric =
    parameter.type === 'int' ||
    (parameter.type === 'float' && !nonFinite(parameter, parameterValue(form, parameter)));
  return numeric ? 'number' : 'text';
}

/** A parameter's text in the form: as typed, else the job's value, else its default. */
export function parameterText(
  form: JobForm,
  values: Record<string, string>,
  parameter: NotebookParameter
): string {
  return values[parameter.name] ?? display(parameter, parameterValue(form, parameter));
}

/** Whether the form saves a job (a schedule, or an edit) rather than queueing one run. */
export function savesJob(form: JobForm, entries: IJobFormEntries): boolean {
  return entries.scheduled || form.job !== null;
}

/**
 * The fields the form shows for `entries`, each with its error under it (keyed as
 * {@link FieldErrors} are). An error of any other field (one the server checks but the form
 * does not show, such as a job's time zone while it has no schedule) is told in the form's
 * own alert, naming the field.
 */
export function shownFields(form: JobForm, entries: IJobFormEntries): Set<string> {
  const saves = savesJob(form, entries);
  const { scheduled } = entries;
  return new Set([
    ...form.parameters.parameters.map(parameter => `parameter:${parameter.name}`),
    ...(saves ? ['name', 'retries', 'retry_backoff_seconds', 'max_concurrent', 'keep_runs'] : []),
    ...(scheduled ? ['cron', 'timezone', 'missed_policy'] : []),
    ...(scheduled && entries.missed === 'catch_up' ? ['catch_up_limit'] : []),
    ...['kernel_name', 'timeout_seconds', 'cell_timeout_seconds', 'purpose']
  ]);
}

/** The fields as the server takes them, and the errors found before sending. */
export function collectJobFields(
  form: JobForm,
  entries: IJobFormEntries,
  trans: TranslationBundle
): { fields: JobFields; errors: FieldErrors } {
  const { job } = form;
  const { scheduled, expression, numbers, missed } = entries;
  const saves = savesJob(form, entries);
  const errors: FieldErrors = {};
  const parameters: Record<string, unknown> = {};
  for (const parameter of form.parameters.parameters) {
    const text = parameterText(form, entries.values, parameter);
    const stored = job?.parameters[parameter.name];
    if (text !== display(parameter, parameter.default) || stored !== undefined) {
      try {
        parameters[parameter.name] = parse(parameter, text, trans);
      } catch (reason) {
        errors[`parameter:${parameter.name}`] = asError(reason).message;
      }
    }
  }
  if (saves && entries.name.trim() === '') {
    errors.name = trans.__('A job needs a name.');
  }
  if (scheduled && expression === null) {
    errors.cron = trans.__('Pick the time of day the job runs at.');
  }
  const whole: Record<string, number> = {};
  for (const [field, minimum] of WHOLE_NUMBERS) {
    const text = numbers[field].trim();
    if (!/^\d+$/.test(text) || Number(text) < minimum) {
      errors[field] = trans.__('Enter a whole number of at least %1.', minimum);
    }
    whole[field] = Number(text);
  }
  const seconds: Record<string, number | null> = {};
  for (const field of TIMEOUTS) {
    const text = numbers[field].trim();
    if (text !== '' && (!/^\d+$/.test(text) || Number(text) < 1)) {
      errors[field] = trans.__('Enter a whole number of seconds, or leave it empty.');
    }
    seconds[field] = text === '' ? null : Number(text);
  }
  const catchUpText = numbers.catch_up_limit.trim();
  const catchUp = Number(catchUpText);
  if (
    scheduled &&
    missed === 'catch_up' &&
    (!/^\d+$/.test(catchUpText) || catchUp < 1 || catchUp > MAX_CATCH_UP)
  ) {
    errors.catch_up_limit = trans.__('Enter a whole number from 1 to %1.', MAX_CATCH_UP);
  }
  if (form.data.purpose_required && entries.purpose.trim() === '') {
    const limited = form.data.uses.filter(
      use => use.purposes.length > 0 || ['personal', 'sensitive'].includes(use.classification)
    );
    const unchecked = [...form.data.unreadable, ...form.data.unresolved].map(cell => cell.cell + 1);
    errors.purpose = limited.length
      ? trans.__(
          'This notebook uses data only some purposes may use (%1): say what it is used for.',
          limited.map(use => use.dataset).join(', ')
        )
      : form.data.language
        ? trans.__(
            'The data check reads Python only and this notebook is in %1, so it could use any dataset, and the catalog holds data only some purposes may use: say what the notebook is for.',
            form.data.language
          )
        : trans.__(
            'The data check cannot tell what cell %1 reads, so it could use any dataset, and the catalog holds data only some purposes may use: say what the notebook is for, or write the data it reads as a literal.',
            [...new Set(unchecked)].sort((a, b) => a - b).join(', ')
          );
  }
  const fields: JobFields = {
    parameters,
    cron: scheduled ? expression : null,
    timezone: entries.timezone,
    retries: whole.retries,
    retry_backoff_seconds: whole.retry_backoff_seconds,
    timeout_seconds: seconds.timeout_seconds,
    cell_timeout_seconds: seconds.cell_timeout_seconds,
    max_concurrent: whole.max_concurrent,
    output_html: entries.html,
    missed_policy: missed,
    kernel_name: entries.kernel.trim() || null,
    purpose: entries.purpose.trim() || null,
    ...(missed === 'catch_up' ? { catch_up_limit: catchUp } : {}),
    ...(saves ? { name: entries.name.trim(), keep_runs: entries.keepRuns.trim() || null } : {})
  };
  return { fields, errors };
}
