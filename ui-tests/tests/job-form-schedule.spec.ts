import { expect } from '@jupyterlab/galata';

import {
  codeCell,
  createJobForm,
  openSection,
  parametersCell,
  RECURRING,
  uploadAndOpen
} from './helpers';
import { sharePage, test } from './fixtures';

/* The job form: the schedule fields (presets, cron), their preview of the next runs and a job's schedule edited. */
test.describe('Job form: schedules', () => {
  const lab = sharePage();

  test('a cron error is told in words under its field and clears when fixed', async ({
    tmpPath
  }) => {
    const page = lab();
    await uploadAndOpen(page, tmpPath, 'cron.ipynb', [
      parametersCell('days = 1'),
      codeCell('b', 'days')
    ]);
    const form = await createJobForm(page, 'cron.ipynb');
    await form.getByRole('radio', { name: RECURRING }).check();
    const next = form.getByRole('group', { name: 'Next runs' });
    await expect(next.getByRole('listitem')).toHaveCount(5);

    await form
      .getByRole('combobox', { name: 'Repeat' })
      .selectOption({ label: 'Custom (cron expression)' });
    const cron = form.getByRole('textbox', { name: 'Cron expression' });
    await cron.fill('61 * * * *');
    // Checked by the server as typed, before any submit.
    await expect(cron).toHaveAttribute('aria-invalid', 'true');
    await expect(cron).toHaveAccessibleDescription(/minute must be 0-59, got 61\./);
    await expect(next).toContainText('No next runs until the schedule is corrected.');
    await cron.fill('0 0 30 2 *');
    await expect(cron).toHaveAccessibleDescription(/This schedule never fires/);
    await cron.fill('0 6 * * funday');
    await expect(cron).toHaveAccessibleDescription(/day of week must be 0-7 or sun-sat/);
    // cron's nicknames are schedules too; @reboot names no time and says what to do instead
    await cron.fill('@weekly');
    await expect(cron).toHaveAttribute('aria-invalid', 'false');
    await expect(next).toContainText('At 12:00 AM, only on Sunday');
    await cron.fill('@reboot');
    await expect(cron).toHaveAttribute('aria-invalid', 'true');
    await expect(cron).toHaveAccessibleDescription(
      /'@reboot' names no time.*Leave the schedule out/
    );

    await cron.fill('30 6 * * 1-5');
    await expect(cron).toHaveAttribute('aria-invalid', 'false');
    await expect(form.getByText(/day of week must be/)).toHaveCount(0);
    await expect(next).toContainText('At 06:30 AM, Monday through Friday');
    await expect(next.getByRole('listitem')).toHaveCount(5);

    // A preset with a time picker makes the same expression.
    await form.getByRole('combobox', { name: 'Repeat' }).selectOption({ label: 'Every week' });
    await form.getByRole('combobox', { name: 'On', exact: true }).selectOption({ index: 3 });
    await form.getByLabel('At (time of day)').fill('18:45');
    await expect(next).toContainText('At 06:45 PM, only on Wednesday');
  });

  test('a monthly preset runs on a day at a time; days 29-31 skip the months without them', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = await uploadAndOpen(page, tmpPath, 'monthly.ipynb', [codeCell('a', 'x = 1')]);
    const form = await createJobForm(page, 'monthly.ipynb');
    await form.getByRole('radio', { name: RECURRING }).check();
    await form.getByRole('combobox', { name: 'Repeat' }).selectOption({ label: 'Every month' });
    const day = form.getByRole('combobox', { name: 'On day' });
    const next = form.getByRole('group', { name: 'Next runs' });
    await day.selectOption('15');
    await form.getByLabel('At (time of day)').fill('18:45');
    await expect(next).toContainText('At 06:45 PM, on day 15 of the month');
    await expect(day).not.toHaveAccessibleDescription(/skipped/);

    // Day 31: the months without it are skipped, and the form says so under the field.
    await day.selectOption('31');
    await expect(day).toHaveAccessibleDescription(
      'Months without a day 31 are skipped: the job does not run in them. Choose "the last day" to run every month.'
    );
    await expect(next).toContainText('on day 31 of the month');
    await expect(next.getByRole('listitem')).toHaveCount(5);
    const days = (
      await next.locator('time').evaluateAll(times => times.map(t => t.getAttribute('datetime')))
    ).map(time => time?.slice(8, 10));
    expect(new Set(days)).toEqual(new Set(['31']));

    // The last day runs every month (cron's L).
    await day.selectOption({ label: 'the last day' });
    await expect(day).not.toHaveAccessibleDescription(/skipped/);
    await expect(next).toContainText('on the last day of the month');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form).toHaveCount(0);
    const jobs = await (await page.request.get(`/nbtools/api/jobs?path=${path}`)).json();
    expect(jobs).toEqual([expect.objectContaining({ name: 'monthly', cron: '45 18 L * *' })]);

    // Edited again, the form shows the preset it was made with.
    await page.evaluate(
      id => window.jupyterapp.commands.execute('nbtools:edit-job', { id }),
      (jobs as { id: number }[])[0].id
    );
    const edit = page.getByRole('form', { name: 'Edit job' });
    await expect(edit.getByRole('combobox', { name: 'Repeat' })).toHaveValue('monthly');
    await expect(edit.getByRole('combobox', { name: 'On day' })).toHaveValue('L');
    await expect(edit.getByLabel('At (time of day)')).toHaveValue('18:45');
  });

  test('editing a job shows what was saved and saves the change', async ({ tmpPath }) => {
    const page = lab();
    const path = await uploadAndOpen(page, tmpPath, 'weekly.ipynb', [
      parametersCell('city = "Lisbon"'),
      codeCell('b', 'city')
    ]);
    const created = await page.request.post('/nbtools/api/jobs', {
      data: {
        notebook_path: path,
        name: 'Weekly digest',
        cron: '15 7 * * 1',
        timezone: 'Europe/Lisbon',
        parameters: { city: 'Porto' },
        keep_runs: '30d'
      }
    });
    expect(created.ok()).toBe(true);
    const job = (await created.json()) as { id: number };

    const panel = await openSection(page, 'weekly.ipynb', 'Jobs');
    await panel
      .getByRole('list', { name: 'Jobs' })
      .getByRole('listitem', { name: 'Weekly digest' })
      .getByRole('button', { name: 'Edit', exact: true })
      .click();
    const form = page.getByRole('form', { name: 'Edit job' });
    await expect(page.getByRole('tab', { name: 'Edit job: Weekly digest' })).toBeVisible();
    await expect(form.getByRole('combobox', { name: 'Repeat' })).toHaveValue('weekly');
    await expect(form.getByRole('combobox', { name: 'On', exact: true })).toHaveValue('1');
    await expect(form.getByLabel('At (time of day)')).toHaveValue('07:15');
    await expect(form.getByRole('combobox', { name: 'Time zone' })).toHaveValue('Europe/Lisbon');
    // The next runs are the schedule's own times, in its zone, whatever the browser's.
    const next = form.getByRole('group', { name: 'Next runs' }).getByRole('listitem');
    await expect(next.first()).toContainText(/7:15:00\sAM GMT(\+[01])?$/);
    await expect(form.getByRole('textbox', { name: 'city' })).toHaveValue('Porto');
    await expect(form.getByRole('textbox', { name: 'Keep runs' })).toHaveValue('30d');

    await form.getByLabel('At (time of day)').fill('08:45');
    await form.getByRole('textbox', { name: 'Keep runs' }).fill('10');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(form).toHaveCount(0);
    const saved = await (await page.request.get(`/nbtools/api/jobs/${job.id}`)).json();
    expect(saved).toEqual(
      expect.objectContaining({
        cron: '45 8 * * 1',
        keep_runs: '10',
        parameters: { city: 'Porto' }
      })
    );
  });
});
