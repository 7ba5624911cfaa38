import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { MAX_CATCH_UP, asError, previewCron } from '../api';
import type { CronPreview, JobFields, MissedPolicy, NotebookParameter } from '../api';
import { fieldOf } from './jobsModel';
import type { FieldErrors, JobForm, JobsModel } from './jobsModel';

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

/** Whole-number options of a saved job and their smallest values. */
const WHOLE_NUMBERS: [string, number][] = [
  ['retries', 0],
  ['retry_backoff_seconds', 0],
  ['max_concurrent', 1]
];

/** Timeouts: empty (no limit) or a positive whole number of seconds. */
const TIMEOUTS = ['timeout_seconds', 'cell_timeout_seconds'];

/**
 * A labelled form field with its error under it: the control gets `id`,
 * `aria-invalid` and `aria-describedby` from `control(props)`.
 */
function Field({
  id,
  label,
  error,
  hint,
  control
}: {
  id: string;
  label: React.ReactNode;
  error?: string;
  hint?: string;
  control: (props: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  }) => React.ReactElement;
}): React.ReactElement {
  const described = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean);
  return (
    <div className={`jp-nbtools-JobForm-field${error ? ' jp-mod-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {control({
        id,
        'aria-invalid': !!error,
        ...(described.length ? { 'aria-describedby': described.join(' ') } : {})
      })}
      {hint && (
        <p id={`${id}-hint`} className="jp-nbtools-JobForm-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="jp-nbtools-FieldError">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * The create/edit job form: a name, parameters generated from the notebook's
 * `parameters` cell, a one-off run now or a cron schedule with a live
 * preview, and the run options. Each field's error shows under it, all at
 * once; after the first attempt to submit they are checked again as the user
 * types, and the focus moves to the first one.
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
  const prefix = `jp-nbtools-job-${React.useId().replace(/:/g, '')}`;
  const formRef = React.useRef<HTMLFormElement>(null);
  const [name, setName] = React.useState(job?.name ?? form.defaultName);
  const [values, setValues] = React.useState<Record<string, string>>({});
  const [scheduled, setScheduled] = React.useState(Boolean(job?.cron));
  const initialCron = job?.cron ?? '0 6 * * *';
  const [preset, setPreset] = React.useState(PRESETS.find(name => name === initialCron) ?? CUSTOM);
  const [cron, setCron] = React.useState(initialCron);
  const [timezone, setTimezone] = React.useState(job?.timezone ?? localTimezone());
  const [numbers, setNumbers] = React.useState<Record<string, string>>({
    retries: String(job?.retries ?? 0),
    retry_backoff_seconds: String(job?.retry_backoff_seconds ?? 60),
    timeout_seconds: String(job?.timeout_seconds ?? ''),
    cell_timeout_seconds: String(job?.cell_timeout_seconds ?? ''),
    max_concurrent: String(job?.max_concurrent ?? 1),
    catch_up_limit: String(job?.catch_up_limit ?? 10)
  });
  const [html, setHtml] = React.useState(job?.output_html ?? false);
  const [missed, setMissed] = React.useState<MissedPolicy>(job?.missed_policy ?? 'run_once');
  const [preview, setPreview] = React.useState<CronPreview | null>(null);
  const [scheduleError, setScheduleError] = React.useState<FieldErrors>({});
  const [serverErrors, setServerErrors] = React.useState<FieldErrors>({});
  const [attempted, setAttempted] = React.useState(false);
  const [saving, setSaving] = React.useState(false);
  const focusPending = React.useRef(false);

  const savesJob = scheduled || job !== null;
  const expression = preset === CUSTOM ? cron : preset;
  React.useEffect(() => {
    if (!scheduled) {
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      previewCron(expression, timezone)
        .then(result => current && (setPreview(result), setScheduleError({})))
        .catch(reason => {
          if (current) {
            setPreview(null);
            const field = fieldOf(reason);
            setScheduleError({
              [field === 'timezone' ? 'timezone' : 'cron']: asError(reason).message
            });
          }
        });
    }, 250);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [scheduled, expression, timezone]);

  const valueOf = (parameter: NotebookParameter): string =>
    values[parameter.name] ??
    display(parameter, job?.parameters[parameter.name] ?? parameter.default);

  /** The fields as the server takes them, and the errors found before sending. */
  const collect = (): { fields: JobFields; errors: FieldErrors } => {
    const errors: FieldErrors = {};
    const parameters: Record<string, unknown> = {};
    for (const parameter of declared) {
      const text = valueOf(parameter);
      const stored = job?.parameters[parameter.name];
      if (text !== display(parameter, parameter.default) || stored !== undefined) {
        try {
          parameters[parameter.name] = parse(parameter, text, trans);
        } catch (reason) {
          errors[`parameter:${parameter.name}`] = asError(reason).message;
        }
      }
    }
    if (savesJob && name.trim() === '') {
      errors.name = trans.__('A job needs a name.');
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
    const fields: JobFields = {
      parameters,
      cron: scheduled ? expression : null,
      timezone,
      retries: whole.retries,
      retry_backoff_seconds: whole.retry_backoff_seconds,
      timeout_seconds: seconds.timeout_seconds,
      cell_timeout_seconds: seconds.cell_timeout_seconds,
      max_concurrent: whole.max_concurrent,
      output_html: html,
      missed_policy: missed,
      ...(missed === 'catch_up' ? { catch_up_limit: catchUp } : {}),
      ...(savesJob ? { name: name.trim() } : {})
    };
    return { fields, errors: scheduled ? { ...errors, ...scheduleError } : errors };
  };

  const { fields, errors: clientErrors } = collect();
  const errors: FieldErrors = { ...(attempted ? clientErrors : {}), ...serverErrors };

  // Move the focus to the first field in error once they are shown.
  React.useEffect(() => {
    if (focusPending.current) {
      focusPending.current = false;
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    }
  });

  /** A change of `field` makes the server's error about it stale. */
  const changed = (field: string): void => {
    if (field in serverErrors) {
      setServerErrors(
        Object.fromEntries(Object.entries(serverErrors).filter(([key]) => key !== field))
      );
    }
  };

  const submit = async (): Promise<void> => {
    setAttempted(true);
    if (Object.keys(clientErrors).length > 0) {
      focusPending.current = !attempted;
      if (attempted) {
        formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      }
      return;
    }
    setSaving(true);
    const refused = await model.saveForm(fields, !scheduled);
    setSaving(false);
    if (refused) {
      focusPending.current = true;
      setServerErrors(refused);
    }
  };

  const numberField = (field: string, label: string, placeholder = '', hint = '') => (
    <Field
      id={`${prefix}-${field}`}
      label={label}
      error={errors[field]}
      hint={hint || undefined}
      control={props => (
        <InputGroup
          {...props}
          type="number"
          min="0"
          placeholder={placeholder}
          value={numbers[field]}
          onChange={event => {
            setNumbers({ ...numbers, [field]: event.currentTarget.value });
            changed(field);
          }}
        />
      )}
    />
  );

  const formError = errors[''];
  return (
    <form
      ref={formRef}
      className="jp-nbtools-JobForm"
      aria-label={job ? trans.__('Edit job') : trans.__('Create job')}
      noValidate
      onSubmit={event => {
        event.preventDefault();
        void submit();
      }}
    >
      <p className="jp-nbtools-JobForm-title">
        {job ? trans.__('Edit job %1', job.name) : trans.__('New job for %1', form.path)}
      </p>
      <fieldset>
        <legend>{trans.__('When')}</legend>
        <label>
          <input
            type="radio"
            name={`${prefix}-when`}
            checked={!scheduled}
            onChange={() => setScheduled(false)}
          />
          {job ? trans.__('On demand (no schedule)') : trans.__('Run once now (no job is saved)')}
        </label>
        <label>
          <input
            type="radio"
            name={`${prefix}-when`}
            checked={scheduled}
            onChange={() => setScheduled(true)}
          />
          {trans.__('On a schedule (saved as a job)')}
        </label>
        {savesJob && (
          <Field
            id={`${prefix}-name`}
            label={trans.__('Job name')}
            error={errors.name}
            control={props => (
              <InputGroup
                {...props}
                required
                value={name}
                onChange={event => {
                  setName(event.currentTarget.value);
                  changed('name');
                }}
              />
            )}
          />
        )}
        {scheduled && (
          <>
            <Field
              id={`${prefix}-repeat`}
              label={trans.__('Repeat')}
              control={props => (
                <HTMLSelect
                  {...props}
                  value={preset}
                  onChange={event => {
                    setPreset(event.currentTarget.value);
                    changed('cron');
                  }}
                >
                  {PRESETS.map(name => (
                    <option key={name} value={name}>
                      {name}
                    </option>
                  ))}
                  <option value={CUSTOM}>{trans.__('custom cron')}</option>
                </HTMLSelect>
              )}
            />
            {preset === CUSTOM ? (
              <Field
                id={`${prefix}-cron`}
                label={trans.__('Cron expression')}
                error={errors.cron}
                hint={trans.__('minute hour day-of-month month day-of-week')}
                control={props => (
                  <InputGroup
                    {...props}
                    value={cron}
                    onChange={event => {
                      setCron(event.currentTarget.value);
                      changed('cron');
                    }}
                  />
                )}
              />
            ) : (
              errors.cron && <p className="jp-nbtools-FieldError">{errors.cron}</p>
            )}
            <Field
              id={`${prefix}-timezone`}
              label={trans.__('Timezone')}
              error={errors.timezone}
              control={props => (
                <InputGroup
                  {...props}
                  list={`${prefix}-timezones`}
                  value={timezone}
                  onChange={event => {
                    setTimezone(event.currentTarget.value);
                    changed('timezone');
                  }}
                />
              )}
            />
            <datalist id={`${prefix}-timezones`}>
              {timezones().map(name => (
                <option key={name} value={name} />
              ))}
            </datalist>
            {preview && (
              <div
                className="jp-nbtools-JobForm-preview"
                role="group"
                aria-label={trans.__('Next runs')}
              >
                <p>{preview.description}</p>
                <ol>
                  {preview.next_local.map(time => (
                    <li key={time}>{time.slice(0, 16).replace('T', ' ')}</li>
                  ))}
                </ol>
              </div>
            )}
            <Field
              id={`${prefix}-missed`}
              label={trans.__('After downtime')}
              error={errors.missed_policy}
              control={props => (
                <HTMLSelect
                  {...props}
                  value={missed}
                  onChange={event => {
                    setMissed(event.currentTarget.value as MissedPolicy);
                    changed('missed_policy');
                  }}
                >
                  <option value="run_once">{trans.__('run once for missed times')}</option>
                  <option value="catch_up">{trans.__('catch up: run each missed time')}</option>
                  <option value="skip">{trans.__('skip missed times')}</option>
                </HTMLSelect>
              )}
            />
            {missed === 'catch_up' &&
              numberField(
                'catch_up_limit',
                trans.__('Catch up at most'),
                '',
                trans.__('missed times, the latest ones (1 to %1)', MAX_CATCH_UP)
              )}
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>{trans.__('Parameters')}</legend>
        {form.parameters === null && !form.error && <p>{trans.__('Reading the notebook…')}</p>}
        {form.parameters?.cell === null && (
          <p className="jp-nbtools-JobForm-hint">
            {trans.__('No cell tagged "parameters": the notebook runs as it is.')}
          </p>
        )}
        {declared.map(parameter => {
          const field = `parameter:${parameter.name}`;
          const set = (text: string): void => {
            setValues({ ...values, [parameter.name]: text });
            changed(field);
          };
          return (
            <Field
              key={parameter.name}
              id={`${prefix}-parameter-${parameter.name}`}
              label={
                <>
                  {parameter.name} <code>{parameter.type}</code>
                </>
              }
              hint={parameter.help || undefined}
              error={errors[field]}
              control={props =>
                parameter.type === 'bool' ? (
                  <input
                    {...props}
                    type="checkbox"
                    checked={valueOf(parameter) === 'true'}
                    onChange={event => set(String(event.currentTarget.checked))}
                  />
                ) : (
                  <InputGroup
                    {...props}
                    type={
                      parameter.type === 'int' || parameter.type === 'float' ? 'number' : 'text'
                    }
                    step={parameter.type === 'float' ? 'any' : undefined}
                    value={valueOf(parameter)}
                    onChange={event => set(event.currentTarget.value)}
                  />
                )
              }
            />
          );
        })}
      </fieldset>
      <fieldset>
        <legend>{trans.__('Options')}</legend>
        {savesJob && numberField('retries', trans.__('Retries'))}
        {savesJob && numberField('retry_backoff_seconds', trans.__('Retry backoff (s)'))}
        {numberField('timeout_seconds', trans.__('Run timeout (s)'), trans.__('none'))}
        {numberField(
          'cell_timeout_seconds',
          trans.__('Cell timeout (s)'),
          trans.__('none'),
          trans.__('How long one cell may run; then the run ends timed out.')
        )}
        {savesJob && numberField('max_concurrent', trans.__('Max concurrent runs'))}
        <label>
          <input
            type="checkbox"
            checked={html}
            onChange={event => setHtml(event.currentTarget.checked)}
          />
          {trans.__('Also save an HTML report')}
        </label>
      </fieldset>
      {(formError || form.error) && (
        <p role="alert" className="jp-nbtools-Error-message">
          {formError ?? form.error}
        </p>
      )}
      {attempted && Object.keys(errors).length > 0 && (
        <p role="alert" className="jp-nbtools-Error-message">
          {trans._n(
            'Correct the field marked below.',
            'Correct the %1 fields marked below.',
            Object.keys(errors).filter(key => key !== '').length
          )}
        </p>
      )}
      <div className="jp-nbtools-JobForm-actions">
        <Button type="submit" disabled={saving || form.parameters === null}>
          {scheduled
            ? job
              ? trans.__('Save')
              : trans.__('Create schedule')
            : job
              ? trans.__('Save and run now')
              : trans.__('Run now')}
        </Button>
        <Button type="button" minimal onClick={() => model.closeForm()}>
          {trans.__('Cancel')}
        </Button>
      </div>
    </form>
  );
}
