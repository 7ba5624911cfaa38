import type { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { asError, fieldOf, previewCron } from '../api';
import type { CronPreview } from '../api';
import { formatTime } from './dates';
import { Field } from './field';
import type { FieldErrors } from './jobFormModel';
import { FIRST_SKIPPING_DAY, LAST_DAY, REPEATS } from './jobSchedule';
import type { Repeat, ScheduleChoice } from './jobSchedule';

/** Milliseconds the form waits after the last keystroke before the server previews the cron. */
const PREVIEW_DELAY_MS = 250;

/**
 * The server's answer about a schedule as it is now — its preview, or its
 * error under the `cron` or `timezone` field — a moment after the last change;
 * `null` while it is asked, and when there is no schedule (`expression` null).
 */
export function useCronPreview(
  expression: string | null,
  timezone: string
): { preview: CronPreview | null; errors: FieldErrors } | null {
  const key = expression === null ? null : `${expression}\n${timezone}`;
  const [checked, setChecked] = React.useState<{
    key: string;
    preview: CronPreview | null;
    errors: FieldErrors;
  } | null>(null);
  React.useEffect(() => {
    if (expression === null || key === null) {
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      previewCron(expression, timezone)
        .then(preview => current && setChecked({ key, preview, errors: {} }))
        .catch(reason => {
          if (current) {
            const field = fieldOf(reason) === 'timezone' ? 'timezone' : 'cron';
            setChecked({ key, preview: null, errors: { [field]: asError(reason).message } });
          }
        });
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [expression, timezone, key]);
  // Only the answer about the schedule as it is now counts.
  return key !== null && checked?.key === key ? checked : null;
}

/** The browser's IANA time zone, the default of a new job. */
export function localTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? [];
}

/** Day names for the weekly schedule, cron's numbering (0: Sunday). */
function dayNames(): string[] {
  const format = new Intl.DateTimeFormat(undefined, { weekday: 'long', timeZone: 'UTC' });
  // 2023-01-01 was a Sunday.
  return [0, 1, 2, 3, 4, 5, 6].map(day => format.format(new Date(Date.UTC(2023, 0, 1 + day))));
}

/**
 * The schedule of a recurring job: a preset with its minute, time or day, or
 * a custom cron (its error under the control that made it), the time zone,
 * and the schedule in words with its next runs as the server previews them.
 */
export function ScheduleFields({
  prefix,
  choice,
  onPick,
  timezone,
  onTimezone,
  preview,
  errors,
  previewFailed,
  trans
}: {
  prefix: string;
  choice: ScheduleChoice;
  onPick: (change: Partial<ScheduleChoice>) => void;
  timezone: string;
  onTimezone: (zone: string) => void;
  preview: CronPreview | null;
  errors: FieldErrors;
  previewFailed: boolean;
  trans: TranslationBundle;
}): React.ReactElement {
  const pick = onPick;
  const repeatLabels: Record<Repeat, string> = {
    hourly: trans.__('Every hour'),
    daily: trans.__('Every day'),
    weekdays: trans.__('Every weekday (Monday to Friday)'),
    weekly: trans.__('Every week'),
    monthly: trans.__('Every month'),
    custom: trans.__('Custom (cron expression)')
  };
  return (
    <>
      <Field
        id={`${prefix}-repeat`}
        label={trans.__('Repeat')}
        control={props => (
          <HTMLSelect
            {...props}
            value={choice.repeat}
            onChange={event => pick({ repeat: event.currentTarget.value as Repeat })}
          >
            {REPEATS.map(repeat => (
              <option key={repeat} value={repeat}>
                {repeatLabels[repeat]}
              </option>
            ))}
          </HTMLSelect>
        )}
      />
      {choice.repeat === 'weekly' && (
        <Field
          id={`${prefix}-day`}
          label={trans.__('On')}
          control={props => (
            <HTMLSelect
              {...props}
              value={choice.day}
              onChange={event => pick({ day: event.currentTarget.value })}
            >
              {dayNames().map((day, index) => (
                <option key={index} value={String(index)}>
                  {day}
                </option>
              ))}
            </HTMLSelect>
          )}
        />
      )}
      {choice.repeat === 'monthly' && (
        <Field
          id={`${prefix}-day-of-month`}
          label={trans.__('On day')}
          hint={
            choice.dayOfMonth !== LAST_DAY && Number(choice.dayOfMonth) >= FIRST_SKIPPING_DAY
              ? trans.__(
                  'Months without a day %1 are skipped: the job does not run in them. Choose "the last day" to run every month.',
                  choice.dayOfMonth
                )
              : undefined
          }
          control={props => (
            <HTMLSelect
              {...props}
              value={choice.dayOfMonth}
              onChange={event => pick({ dayOfMonth: event.currentTarget.value })}
            >
              {Array.from({ length: 31 }, (_, index) => (
                <option key={index} value={String(index + 1)}>
                  {String(index + 1)}
                </option>
              ))}
              <option value={LAST_DAY}>{trans.__('the last day')}</option>
            </HTMLSelect>
          )}
        />
      )}
      {choice.repeat === 'hourly' && (
        <Field
          id={`${prefix}-minute`}
          label={trans.__('At minute')}
          error={errors.cron}
          control={props => (
            <InputGroup
              {...props}
              type="number"
              min="0"
              max="59"
              value={choice.minute}
              onChange={event => pick({ minute: event.currentTarget.value })}
            />
          )}
        />
      )}
      {['daily', 'weekdays', 'weekly', 'monthly'].includes(choice.repeat) && (
        <Field
          id={`${prefix}-time`}
          label={trans.__('At (time of day)')}
          error={errors.cron}
          control={props => (
            <InputGroup
              {...props}
              type="time"
              value={choice.time}
              onChange={event => pick({ time: event.currentTarget.value })}
            />
          )}
        />
      )}
      {choice.repeat === 'custom' && (
        <Field
          id={`${prefix}-cron`}
          label={trans.__('Cron expression')}
          error={errors.cron}
          hint={trans.__('minute hour day-of-month month day-of-week, e.g. 30 6 * * 1-5')}
          control={props => (
            <InputGroup
              {...props}
              value={choice.cron}
              onChange={event => pick({ cron: event.currentTarget.value })}
            />
          )}
        />
      )}
      <Field
        id={`${prefix}-timezone`}
        label={trans.__('Time zone')}
        error={errors.timezone}
        control={props => (
          <InputGroup
            {...props}
            list={`${prefix}-timezones`}
            value={timezone}
            onChange={event => onTimezone(event.currentTarget.value)}
          />
        )}
      />
      <datalist id={`${prefix}-timezones`}>
        {timezones().map(zone => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <div
        className="jp-nbtools-JobForm-preview"
        role="group"
        aria-label={trans.__('Next runs')}
        aria-live="polite"
      >
        {preview ? (
          <>
            <p>
              {trans.__('%1 (%2), cron %3', preview.description, preview.timezone, preview.cron)}
            </p>
            <ol>
              {preview.next_local.map(time => (
                <li key={time}>
                  <time dateTime={time}>{formatTime(time, preview.timezone)}</time>
                </li>
              ))}
            </ol>
          </>
        ) : (
          <p className="jp-nbtools-JobForm-hint">
            {previewFailed
              ? trans.__('No next runs until the schedule is corrected.')
              : trans.__('Reading the schedule…')}
          </p>
        )}
      </div>
    </>
  );
}
