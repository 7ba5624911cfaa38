/**
 * The job form's schedule as a person picks it — hourly at a minute, daily or
 * on weekdays at a time, weekly on a day at a time, monthly on a day (or the
 * last day) at a time, or a custom cron — and the cron expression it stands
 * for (and back).
 */

export type Repeat = 'hourly' | 'daily' | 'weekdays' | 'weekly' | 'monthly' | 'custom';

export const REPEATS: readonly Repeat[] = [
  'hourly',
  'daily',
  'weekdays',
  'weekly',
  'monthly',
  'custom'
];

/** The day of month of a monthly schedule that means "the last day" (cron's `L`). */
export const LAST_DAY = 'L';

/** The first day of month some months do not have: from it on, those months are skipped. */
export const FIRST_SKIPPING_DAY = 29;

export interface ScheduleChoice {
  repeat: Repeat;
  /** The minute of an hourly schedule, as typed. */
  minute: string;
  /** `HH:MM` of a daily, weekday or weekly schedule (`''`: none picked). */
  time: string;
  /** Day of the week of a weekly schedule, cron's numbering (0: Sunday). */
  day: string;
  /** Day of the month of a monthly schedule, `1` to `31`, or {@link LAST_DAY}. */
  dayOfMonth: string;
  /** The expression of a custom schedule, as typed. */
  cron: string;
}

/** The new job's schedule: every day at 06:00. */
export const DEFAULT_CRON = '0 6 * * *';

const pad = (value: string): string => value.padStart(2, '0');

/** The choice a cron expression is (`custom` when no preset with a time matches it). */
export function choiceOf(cron: string): ScheduleChoice {
  const choice: ScheduleChoice = {
    repeat: 'custom',
    minute: '0',
    time: '06:00',
    day: '1',
    dayOfMonth: '1',
    cron
  };
  const fields = cron.trim().split(/\s+/);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const number = (text: string, high: number): boolean =>
    /^\d{1,2}$/.test(text) && Number(text) <= high;
  if (fields.length !== 5 || month !== '*' || !number(minute, 59)) {
    return choice;
  }
  const everyDay = dayOfMonth === '*';
  if (everyDay && hour === '*' && dayOfWeek === '*') {
    return { ...choice, repeat: 'hourly', minute: String(Number(minute)) };
  }
  if (!number(hour, 23)) {
    return choice;
  }
  const time = `${pad(String(Number(hour)))}:${pad(String(Number(minute)))}`;
  if (!everyDay) {
    const last = dayOfMonth.toUpperCase() === LAST_DAY;
    if (dayOfWeek !== '*' || !(last || (number(dayOfMonth, 31) && Number(dayOfMonth) >= 1))) {
      return choice;
    }
    return {
      ...choice,
      repeat: 'monthly',
      time,
      dayOfMonth: last ? LAST_DAY : String(Number(dayOfMonth))
    };
  }
  if (dayOfWeek === '*') {
    return { ...choice, repeat: 'daily', time };
  }
  if (dayOfWeek === '1-5') {
    return { ...choice, repeat: 'weekdays', time };
  }
  if (/^[0-6]$/.test(dayOfWeek)) {
    return { ...choice, repeat: 'weekly', time, day: dayOfWeek };
  }
  return choice;
}

/**
 * The cron expression of a choice; `null` when a daily, weekday, weekly or
 * monthly schedule has no time picked.
 */
export function cronOf(choice: ScheduleChoice): string | null {
  if (choice.repeat === 'custom') {
    return choice.cron.trim();
  }
  if (choice.repeat === 'hourly') {
    return `${choice.minute.trim() || '0'} * * * *`;
  }
  const match = /^(\d{2}):(\d{2})/.exec(choice.time);
  if (!match) {
    return null;
  }
  const at = `${Number(match[2])} ${Number(match[1])}`;
  if (choice.repeat === 'monthly') {
    return `${at} ${choice.dayOfMonth} * *`;
  }
  const days = { daily: '*', weekdays: '1-5', weekly: choice.day }[choice.repeat];
  return `${at} * * ${days}`;
}
