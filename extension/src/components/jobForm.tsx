import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { previewCron } from '../api';
import type { CronPreview, JobFields, MissedPolicy, NotebookParameter } from '../api';
import type { JobForm, JobsModel } from './jobsModel';
import { messageOf } from './jobsModel';

const PRESETS = ['hourly', 'daily', 'weekdays', 'weekly', 'monthly'];
const CUSTOM = 'custom';

function localTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? [];
}

/** A parameter's value as the form shows it (JSON for lists, dicts and None). */
function display(parameter: NotebookParameter, value: unknown): string {
  return parameter.type === 'str' ? String(value) : JSON.stringify(value);
}

/**
 * Parse a form value by the parameter's declared type, or throw a message
 * naming the parameter and what it expects.
 */
function parse(parameter: NotebookParameter, text: string, trans: TranslationBundle): unknown {
  const fail = (expected: string): never => {
    throw new Error(trans.__('%1 expects %2, got %3', parameter.name, expected, text));
  };
  switch (parameter.type) {
    case 'str':
      return text;
    case 'bool':
      return text === 'true';
    case 'int':
      return /^\s*-?\d+\s*$/.test(text) ? Number(text) : fail(trans.__('a whole number'));
    case 'float': {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) ? value : fail(trans.__('a number'));
    }
    default: {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return parameter.type === 'None' ? text : fail(trans.__('JSON'));
      }
      const kind = Array.isArray(value) ? 'list' : value === null ? 'None' : typeof value;
      const wanted = parameter.type === 'dict' ? 'object' : parameter.type;
      return parameter.type === 'None' || kind === wanted ? value : fail(parameter.type);
    }
  }
}

/**
 * The create/edit job form: parameters generated from the notebook's
 * `parameters` cell, run now or a cron schedule with a live preview, and the
 * run options.
 */
export function JobFormView({
  model,
  form,
  trans
}: {
  model: JobsModel;
  form: JobForm;
  trans: TranslationBundle;
}): React.ReactElement {
  const job = form.job;
  const declared = form.parameters?.parameters ?? [];
  const [values, setValues] = React.useState<Record<string, string>>({});
  const [scheduled, setScheduled] = React.useState(Boolean(job?.cron));
  const initialCron = job?.cron ?? '0 6 * * *';
  const [preset, setPreset] = React.useState(PRESETS.find(name => name === initialCron) ?? CUSTOM);
  const [cron, setCron] = React.useState(initialCron);
  const [timezone, setTimezone] = React.useState(job?.timezone ?? localTimezone());
  const [retries, setRetries] = React.useState(String(job?.retries ?? 0));
  const [backoff, setBackoff] = React.useState(String(job?.retry_backoff_seconds ?? 60));
  const [timeout, setTimeoutText] = React.useState(String(job?.timeout_seconds ?? ''));
  const [concurrent, setConcurrent] = React.useState(String(job?.max_concurrent ?? 1));
  const [html, setHtml] = React.useState(job?.output_html ?? false);
  const [missed, setMissed] = React.useState<MissedPolicy>(job?.missed_policy ?? 'run_once');
  const [preview, setPreview] = React.useState<CronPreview | null>(null);
  const [problem, setProblem] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);

  const expression = preset === CUSTOM ? cron : preset;
  React.useEffect(() => {
    if (!scheduled) {
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      previewCron(expression, timezone)
        .then(result => current && (setPreview(result), setProblem(null)))
        .catch(reason => current && (setPreview(null), setProblem(messageOf(reason))));
    }, 250);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [scheduled, expression, timezone]);

  const valueOf = (parameter: NotebookParameter): string =>
    values[parameter.name] ??
    display(parameter, job?.parameters[parameter.name] ?? parameter.default);

  const submit = async (runNow: boolean): Promise<void> => {
    let fields: JobFields;
    try {
      const parameters: Record<string, unknown> = {};
      for (const parameter of declared) {
        const text = valueOf(parameter);
        const stored = job?.parameters[parameter.name];
        if (text !== display(parameter, parameter.default) || stored !== undefined) {
          parameters[parameter.name] = parse(parameter, text, trans);
        }
      }
      fields = {
        parameters,
        cron: scheduled ? expression : null,
        timezone,
        retries: Number(retries),
        retry_backoff_seconds: Number(backoff),
        timeout_seconds: timeout.trim() === '' ? null : Number(timeout),
        max_concurrent: Number(concurrent),
        output_html: html,
        missed_policy: missed
      };
    } catch (reason) {
      setProblem(messageOf(reason));
      return;
    }
    setSaving(true);
    await model.saveForm(fields, runNow);
    setSaving(false);
  };

  const number = (label: string, value: string, set: (text: string) => void, hint = '') => (
    <label className="jp-nbtools-JobForm-field">
      <span>{label}</span>
      <InputGroup
        type="number"
        min="0"
        aria-label={label}
        placeholder={hint}
        value={value}
        onChange={event => set(event.currentTarget.value)}
      />
    </label>
  );

  return (
    <form
      className="jp-nbtools-JobForm"
      aria-label={job ? trans.__('Edit job') : trans.__('Create job')}
      onSubmit={event => {
        event.preventDefault();
        void submit(!scheduled);
      }}
    >
      <p className="jp-nbtools-JobForm-title">
        {job ? trans.__('Edit job %1', job.name) : trans.__('New job for %1', form.path)}
      </p>
      <fieldset>
        <legend>{trans.__('Parameters')}</legend>
        {form.parameters === null && !form.error && <p>{trans.__('Reading the notebook…')}</p>}
        {form.parameters?.cell === null && (
          <p className="jp-nbtools-JobForm-hint">
            {trans.__('No cell tagged "parameters": the notebook runs as it is.')}
          </p>
        )}
        {declared.map(parameter => (
          <label key={parameter.name} className="jp-nbtools-JobForm-field" title={parameter.help}>
            <span>
              {parameter.name} <code>{parameter.type}</code>
            </span>
            {parameter.type === 'bool' ? (
              <input
                type="checkbox"
                aria-label={parameter.name}
                checked={valueOf(parameter) === 'true'}
                onChange={event =>
                  setValues({ ...values, [parameter.name]: String(event.currentTarget.checked) })
                }
              />
            ) : (
              <InputGroup
                aria-label={parameter.name}
                type={parameter.type === 'int' || parameter.type === 'float' ? 'number' : 'text'}
                step={parameter.type === 'float' ? 'any' : undefined}
                value={valueOf(parameter)}
                onChange={event =>
                  setValues({ ...values, [parameter.name]: event.currentTarget.value })
                }
              />
            )}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{trans.__('When')}</legend>
        <label>
          <input type="radio" checked={!scheduled} onChange={() => setScheduled(false)} />
          {trans.__('Run now (no schedule)')}
        </label>
        <label>
          <input type="radio" checked={scheduled} onChange={() => setScheduled(true)} />
          {trans.__('On a schedule')}
        </label>
        {scheduled && (
          <>
            <label className="jp-nbtools-JobForm-field">
              <span>{trans.__('Repeat')}</span>
              <HTMLSelect
                aria-label={trans.__('Repeat')}
                value={preset}
                onChange={event => setPreset(event.currentTarget.value)}
              >
                {PRESETS.map(name => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
                <option value={CUSTOM}>{trans.__('custom cron')}</option>
              </HTMLSelect>
            </label>
            {preset === CUSTOM && (
              <label className="jp-nbtools-JobForm-field">
                <span>{trans.__('Cron')}</span>
                <InputGroup
                  aria-label={trans.__('Cron expression')}
                  value={cron}
                  onChange={event => setCron(event.currentTarget.value)}
                />
              </label>
            )}
            <label className="jp-nbtools-JobForm-field">
              <span>{trans.__('Timezone')}</span>
              <InputGroup
                aria-label={trans.__('Timezone')}
                list="jp-nbtools-timezones"
                value={timezone}
                onChange={event => setTimezone(event.currentTarget.value)}
              />
              <datalist id="jp-nbtools-timezones">
                {timezones().map(name => (
                  <option key={name} value={name} />
                ))}
              </datalist>
            </label>
            {preview && (
              <div className="jp-nbtools-JobForm-preview" aria-label={trans.__('Next runs')}>
                <p>{preview.description}</p>
                <ol>
                  {preview.next_local.map(time => (
                    <li key={time}>{time.slice(0, 16).replace('T', ' ')}</li>
                  ))}
                </ol>
              </div>
            )}
            <label className="jp-nbtools-JobForm-field">
              <span>{trans.__('After downtime')}</span>
              <HTMLSelect
                aria-label={trans.__('After downtime')}
                value={missed}
                onChange={event => setMissed(event.currentTarget.value as MissedPolicy)}
              >
                <option value="run_once">{trans.__('run once for missed times')}</option>
                <option value="skip">{trans.__('skip missed times')}</option>
              </HTMLSelect>
            </label>
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>{trans.__('Options')}</legend>
        {number(trans.__('Retries'), retries, setRetries)}
        {number(trans.__('Retry backoff (s)'), backoff, setBackoff)}
        {number(trans.__('Timeout (s)'), timeout, setTimeoutText, trans.__('none'))}
        {number(trans.__('Max concurrent runs'), concurrent, setConcurrent)}
        <label>
          <input
            type="checkbox"
            checked={html}
            onChange={event => setHtml(event.currentTarget.checked)}
          />
          {trans.__('Also save an HTML report')}
        </label>
      </fieldset>
      {(problem || form.error) && (
        <p role="alert" className="jp-nbtools-Error-message">
          {problem ?? form.error}
        </p>
      )}
      <div className="jp-nbtools-JobForm-actions">
        <Button type="submit" disabled={saving || form.parameters === null}>
          {scheduled
            ? job
              ? trans.__('Save')
              : trans.__('Create schedule')
            : trans.__('Save and run now')}
        </Button>
        <Button type="button" minimal onClick={() => model.closeForm()}>
          {trans.__('Cancel')}
        </Button>
      </div>
    </form>
  );
}
