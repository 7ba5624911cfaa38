import type { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { MAX_CATCH_UP, asError } from '../api';
import type { MissedPolicy } from '../api';
import { Field, FormErrors } from './field';
import { JobFormRefused, saveJobForm } from './jobFormModel';
import { JobFormActions, useSaveOnce } from './jobFormActions';
import type { SavedBy } from './jobFormActions';
import { GovernanceFields } from './jobFormGovernance';
import { confirmDiscard } from './jobPrompts';
import type { FieldErrors, JobForm, JobFormResult } from './jobFormModel';
import {
  collectJobFields,
  initialNumbers,
  parameterText,
  parameterInputType,
  savesJob,
  shownFields
} from './jobFormValidation';
import type { IJobFormEntries } from './jobFormValidation';
import { DEFAULT_CRON, choiceOf, cronOf } from './jobSchedule';
import type { ScheduleChoice } from './jobSchedule';
import { ScheduleFields, localTimezone, useCronPreview } from './jobScheduleFields';

/**
 * The create/edit job form, in sections: What (notebook, name, parameters
 * typed from its `parameters` cell), When (one run now, or recurring: a
 * preset with a time, or a custom cron, in a time zone, with the schedule in
 * words and its next runs), How (the kernel, timeouts, retries, missed runs,
 * retention) and Governance (the purpose, when the notebook's data asks for one). Each
 * field's error shows under it, all at once; after the first attempt to
 * submit they are checked again as the user types, and the focus moves to
 * the first one. The cron is previewed (and checked) by the server as typed.
 * It opens with the focus on its first field; Escape closes it (`onDismiss`), asking
 * first when it has unsaved edits. A job without a schedule can be saved without a run
 * (Save) besides its primary Save and run now.
 */
export function JobFormView({
  form,
  trans,
  onSaved,
  onCancel,
  onDismiss,
  beforeRun
}: {
  form: JobForm;
  trans: TranslationBundle;
  onSaved: (result: JobFormResult) => void;
  onCancel: () => void;
  /** Called when Escape closes the form (its edits, if any, discarded as the user agreed). */
  onDismiss: () => void;
  /** Called before the form starts a run (Run now, Save and run now): `false` stops it. */
  beforeRun: () => Promise<boolean>;
}): React.ReactElement {
  const job = form.job;
  const declared = form.parameters.parameters;
  const prefix = `jp-nbtools-job-${React.useId().replace(/:/g, '')}`;
  const formRef = React.useRef<HTMLFormElement>(null);
  const [name, setName] = React.useState(job?.name ?? form.defaultName);
  const [values, setValues] = React.useState<Record<string, string>>({});
  const [scheduled, setScheduled] = React.useState(Boolean(job?.cron));
  const [choice, setChoice] = React.useState<ScheduleChoice>(() =>
    choiceOf(job?.cron ?? DEFAULT_CRON)
  );
  const [timezone, setTimezone] = React.useState(job?.timezone ?? localTimezone());
  const [numbers, setNumbers] = React.useState(() => initialNumbers(job));
  const [keepRuns, setKeepRuns] = React.useState(job?.keep_runs ?? '');
  const [kernel, setKernel] = React.useState(job?.kernel_name ?? '');
  // Whether the server refused the kernel as not installed on its machine: then the form
  // offers to save without that check (the kernel may be installed where the runs execute).
  const [kernelCheckOffered, setKernelCheckOffered] = React.useState(false);
  const [kernelCheck, setKernelCheck] = React.useState(true);
  const [purpose, setPurpose] = React.useState(job?.purpose ?? '');
  const [html, setHtml] = React.useState(job?.output_html ?? false);
  const [missed, setMissed] = React.useState<MissedPolicy>(job?.missed_policy ?? 'run_once');
  const [serverErrors, setServerErrors] = React.useState<FieldErrors>({});
  const [attempted, setAttempted] = React.useState(false);
  const saving = useSaveOnce();
  const focusPending = React.useRef(false);

  const expression = cronOf(choice);
  const answer = useCronPreview(scheduled ? expression : null, timezone);
  const entries: IJobFormEntries = {
    name,
    values,
    scheduled,
    expression,
    timezone,
    numbers,
    keepRuns,
    kernel,
    purpose,
    html,
    missed
  };
  const saves = savesJob(form, entries);
  // What the form showed when it opened: a form that differs has unsaved edits.
  const [opened] = React.useState(() => JSON.stringify({ entries, kernelCheck }));
  const edited = JSON.stringify({ entries, kernelCheck }) !== opened;

  // The focus starts on the first field, not on the tab's container.
  React.useEffect(() => {
    if (formRef.current) {
      focusFirstField(formRef.current);
    }
  }, []);

  const dismiss = async (): Promise<void> => {
    if (!edited || (await confirmDiscard(trans))) {
      onDismiss();
    }
  };

  const { fields, errors: clientErrors } = collectJobFields(form, entries, trans);
  const liveErrors = answer?.errors ?? {};
  const errors: FieldErrors = {
    ...(attempted ? clientErrors : {}),
    ...liveErrors,
    ...serverErrors
  };

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

  /**
   * Focus the first of `fields` in the form's order, found by id: at once, in the
   * submit's own event, not after the render that marks them invalid (an effect
   * runs later, and a late effect lost the focus on a loaded machine).
   */
  const focusFirst = (fields: string[]): boolean => {
    const ids = new Set(fields.map(field => `${prefix}-${field.replace(':', '-')}`));
    const controls = formRef.current?.querySelectorAll<HTMLElement>('[id]') ?? [];
    const first = Array.from(controls).find(control => ids.has(control.id));
    first?.focus();
    return first !== undefined;
  };

  /** Save the form, and with `runNow` start a run (a new job without a schedule: one run). */
  const submit = async (runNow: boolean, by: SavedBy = 'primary'): Promise<void> => {
    if (saving.busy()) {
      return; // a save under way: its buttons keep the focus (aria-disabled) and ignore presses
    }
    setAttempted(true);
    const shown = Object.keys({ ...clientErrors, ...liveErrors });
    if (shown.length > 0) {
      // else the effect focuses the first field marked invalid, once they are shown
      focusPending.current = !focusFirst(shown);
      return;
    }
    if (runNow && !(await beforeRun())) {
      return;
    }
    saving.begin(by);
    try {
      onSaved(await saveJobForm(form, fields, runNow, kernelCheck));
    } catch (reason) {
      focusPending.current = true;
      if (reason instanceof JobFormRefused && reason.kernelCheckRefused) {
        setKernelCheckOffered(true);
      }
      setServerErrors(
        reason instanceof JobFormRefused ? reason.errors : { '': asError(reason).message }
      );
      saving.end();
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

  /** One run now or a schedule: other fields are sent, so the server's errors are stale. */
  const when = (recurring: boolean): void => {
    setScheduled(recurring);
    setServerErrors({});
  };

  const pick = (change: Partial<ScheduleChoice>): void => {
    setChoice({ ...choice, ...change });
    changed('cron');
  };

  const scheduleFields = (): React.ReactElement => (
    <>
      <ScheduleFields
        prefix={prefix}
        choice={choice}
        onPick={pick}
        timezone={timezone}
        onTimezone={zone => {
          setTimezone(zone);
          changed('timezone');
        }}
        preview={answer?.preview ?? null}
        errors={errors}
        previewFailed={Object.keys(liveErrors).length > 0}
        trans={trans}
      />
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
  );

  // Errors of fields the form does not show (and of none: `''`) are told in its own alert.
  const shown = shownFields(form, entries);
  const formErrors = Object.entries(errors).filter(([field]) => !shown.has(field));
  const errorCount = Object.keys(errors).filter(field => shown.has(field)).length;
  return (
    <form
      ref={formRef}
      className="jp-nbtools-JobForm"
      aria-label={job ? trans.__('Edit job') : trans.__('Create job')}
      noValidate
      onSubmit={event => {
        event.preventDefault();
        void submit(!scheduled);
      }}
      onKeyDown={event => {
        if (event.key === 'Escape' && !event.defaultPrevented) {
          event.preventDefault();
          event.stopPropagation();
          void dismiss();
        }
      }}
    >
      <h2 className="jp-nbtools-JobForm-title">
        {job ? trans.__('Edit job %1', job.name) : trans.__('New job for %1', form.path)}
      </h2>
      {attempted && errorCount > 0 && (
        <p role="alert" className="jp-nbtools-Error-message">
          {trans._n(
            'Correct the field marked below.',
            'Correct the %1 fields marked below.',
            errorCount
          )}
        </p>
      )}
      <fieldset>
        <legend>{trans.__('What')}</legend>
        <p>
          {trans.__('Notebook')} <code>{form.path}</code>
        </p>
        {saves && (
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
        {form.parameters.cell === null && (
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
              check={parameter.type === 'bool'}
              control={props =>
                parameter.type === 'bool' ? (
                  <input
                    {...props}
                    type="checkbox"
                    checked={parameterText(form, values, parameter) === 'true'}
                    onChange={event => set(String(event.currentTarget.checked))}
                  />
                ) : (
                  <InputGroup
                    {...props}
                    type={parameterInputType(form, parameter)}
                    step={parameter.type === 'float' ? 'any' : undefined}
                    value={parameterText(form, values, parameter)}
                    onChange={event => set(event.currentTarget.value)}
                  />
                )
              }
            />
          );
        })}
      </fieldset>
      <fieldset>
        <legend>{trans.__('When')}</legend>
        <label>
          <input
            type="radio"
            name={`${prefix}-when`}
            checked={!scheduled}
            onChange={() => when(false)}
          />
          {job
            ? trans.__('On demand (no schedule)')
            : trans.__('Once, now (a run of the notebook; no job is saved)')}
        </label>
        <label>
          <input
            type="radio"
            name={`${prefix}-when`}
            checked={scheduled}
            onChange={() => when(true)}
          />
          {trans.__('Recurring, on a schedule (saved as a job)')}
        </label>
        {scheduled && scheduleFields()}
      </fieldset>
      <fieldset>
        <legend>{trans.__('How')}</legend>
        <Field
          id={`${prefix}-kernel_name`}
          label={trans.__('Kernel')}
          error={errors.kernel_name}
          hint={trans.__("The kernel the runs start, e.g. python3; empty: the notebook's own.")}
          control={props => (
            <InputGroup
              {...props}
              placeholder={trans.__("the notebook's own")}
              value={kernel}
              onChange={event => {
                setKernel(event.currentTarget.value);
                changed('kernel_name');
              }}
            />
          )}
        />
        {kernelCheckOffered && kernel.trim() !== '' && (
          <Field
            id={`${prefix}-kernel_check`}
            label={trans.__('Check that the kernel is installed here')}
            hint={trans.__(
              'Untick it when the kernel is installed only where the scheduler executes the runs (another machine): it is then saved as typed, and a run fails if that machine lacks it too.'
            )}
            check
            control={props => (
              <input
                {...props}
                type="checkbox"
                checked={kernelCheck}
                onChange={event => {
                  setKernelCheck(event.currentTarget.checked);
                  changed('kernel_name');
                }}
              />
            )}
          />
        )}
        {numberField('timeout_seconds', trans.__('Run timeout (s)'), trans.__('none'))}
        {numberField(
          'cell_timeout_seconds',
          trans.__('Cell timeout (s)'),
          trans.__('none'),
          trans.__('How long one cell may run; then the run ends timed out.')
        )}
        {saves && numberField('retries', trans.__('Retries'))}
        {saves && numberField('retry_backoff_seconds', trans.__('Retry backoff (s)'))}
        {saves && numberField('max_concurrent', trans.__('Max concurrent runs'))}
        {saves && (
          <Field
            id={`${prefix}-keep_runs`}
            label={trans.__('Keep runs')}
            error={errors.keep_runs}
            hint={trans.__(
              'An age such as 30d, 12w or 1y, or a number of runs; empty: the project default.'
            )}
            control={props => (
              <InputGroup
                {...props}
                placeholder={trans.__('project default')}
                value={keepRuns}
                onChange={event => {
                  setKeepRuns(event.currentTarget.value);
                  changed('keep_runs');
                }}
              />
            )}
          />
        )}
        <label>
          <input
            type="checkbox"
            checked={html}
            onChange={event => setHtml(event.currentTarget.checked)}
          />
          {trans.__('Also save an HTML report')}
        </label>
      </fieldset>
      <GovernanceFields
        id={`${prefix}-purpose`}
        data={form.data}
        purpose={purpose}
        error={errors.purpose}
        onPurpose={text => {
          setPurpose(text);
          changed('purpose');
        }}
        trans={trans}
      />
      <FormErrors errors={formErrors} />
      <JobFormActions
        editing={job !== null}
        scheduled={scheduled}
        saving={saving.by}
        onSave={() => void submit(false, 'save')}
        onCancel={onCancel}
        trans={trans}
      />
    </form>
  );
}

/** Focus the first field of the job form in `node` (its first enabled control). */
export function focusFirstField(node: HTMLElement): void {
  node
    .querySelector<HTMLElement>(
      'input:not([disabled]), select:not([disabled]), textarea:not([disabled])'
    )
    ?.focus();
}
