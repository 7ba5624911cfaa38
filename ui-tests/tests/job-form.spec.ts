import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  notebookJson,
  openNotebook,
  openSection,
  runNowFromForm,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';

const parametersCell = (source: string) => ({
  ...codeCell('params', source),
  metadata: { tags: ['parameters'] }
});

/** Upload a notebook into `tmpPath`, open it and return its path. */
async function open(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  cells: Record<string, unknown>[]
): Promise<string> {
  const path = `${tmpPath}/${name}`;
  expect(await page.contents.uploadContent(notebookJson(cells), 'text', path)).toBe(true);
  await openNotebook(page, path);
  return path;
}

/** Open the create-job form (a main-area tab) from the Jobs section of `name`. */
async function createJobForm(page: IJupyterLabPageFixture, name: string): Promise<Locator> {
  const panel = await openSection(page, name, 'Jobs');
  await panel.getByRole('button', { name: 'Create job' }).click();
  const form = page.getByRole('form', { name: 'Create job' });
  await expect(form).toBeVisible();
  await expect(page.getByRole('tab', { name: `New job: ${name}` })).toBeVisible();
  return form;
}

const RECURRING = 'Recurring, on a schedule (saved as a job)';

test.describe('Job form', () => {
  const lab = sharePage();

  test('a cron error is told in words under its field and clears when fixed', async ({
    tmpPath
  }) => {
    const page = lab();
    await open(page, tmpPath, 'cron.ipynb', [parametersCell('days = 1'), codeCell('b', 'days')]);
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

  test('all errors show at once, each under its field, and the focus goes to the first', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await open(page, tmpPath, 'report.ipynb', [
      parametersCell('cities = ["Lisbon"]'),
      codeCell('b', 'cities')
    ]);
    const form = await createJobForm(page, 'report.ipynb');
    await form.getByRole('radio', { name: RECURRING }).check();
    const name = form.getByRole('textbox', { name: 'Job name' });
    await expect(name).toHaveValue('report');
    await name.fill('');
    const cities = form.getByRole('textbox', { name: 'cities' });
    await cities.fill('Lisbon, Porto');
    await form
      .getByRole('combobox', { name: 'Repeat' })
      .selectOption({ label: 'Custom (cron expression)' });
    const cron = form.getByRole('textbox', { name: 'Cron expression' });
    await cron.fill('0 24 * * *');
    const cellTimeout = form.getByRole('spinbutton', { name: 'Cell timeout (s)' });
    await cellTimeout.fill('0');

    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form.getByRole('alert')).toContainText('Correct the 4 fields marked below.');
    await expect(name).toBeFocused();
    for (const field of [name, cities, cron, cellTimeout]) {
      await expect(field).toHaveAttribute('aria-invalid', 'true');
    }
    await expect(name).toHaveAccessibleDescription('A job needs a name.');
    await expect(cities).toHaveAccessibleDescription(
      'cities expects a JSON list, got Lisbon, Porto: write it as ["Lisbon", "Porto"]'
    );
    await expect(cron).toHaveAccessibleDescription(/hour must be 0-23, got 24\./);

    // The form with its errors: no WCAG A/AA violation, light and dark.
    const widget = '.jp-nbtools-JobFormWidget';
    expect(await violations(page, testInfo, widget)).toEqual([]);
    await attachScreenshot(page, testInfo, 'job-form-errors-light', page.locator(widget));
    await page.theme.setDarkTheme();
    expect(await violations(page, testInfo, widget)).toEqual([]);
    await attachScreenshot(page, testInfo, 'job-form-errors-dark', page.locator(widget));
    await page.theme.setLightTheme();

    // Re-checked as the user types.
    await name.fill('Morning report');
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await cities.fill('["Lisbon", "Porto"]');
    await expect(cities).toHaveAttribute('aria-invalid', 'false');
    await expect(form.getByRole('alert')).toContainText('Correct the 2 fields marked below.');

    // What only the server checks is told at its field too: a name that is a number.
    await cron.fill('0 6 * * *');
    await cellTimeout.fill('60');
    await name.fill('12');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toHaveAccessibleDescription(/A job's name cannot be a number \('12'\)/);
    await expect(name).toHaveValue('12');
  });

  test('an empty number field says so; a bool is a checkbox at the left of its label', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await open(page, tmpPath, 'slow.ipynb', [
      parametersCell('seconds = 5  # how long to sleep\nflag = True\nratio = 0.5'),
      codeCell('b', 'print(seconds, flag, ratio)')
    ]);
    const form = await createJobForm(page, 'slow.ipynb');
    const ratio = form.getByRole('spinbutton', { name: 'ratio float' });
    const seconds = form.getByRole('spinbutton', { name: 'seconds int' });
    await ratio.fill('');
    await seconds.fill('');
    await form.getByRole('button', { name: 'Run now', exact: true }).click();
    await expect(seconds).toBeFocused();
    await expect(seconds).toHaveAccessibleDescription(
      'seconds expects a whole number; the field is empty how long to sleep'
    );
    await expect(ratio).toHaveAccessibleDescription('ratio expects a number; the field is empty');
    const flag = form.getByRole('checkbox', { name: 'flag bool' });
    await expect(flag).toBeChecked();
    const widget = page.locator('.jp-nbtools-JobFormWidget');
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      // The checkbox at the field's left edge, its label to its right on the same line.
      const field = form.locator('.jp-nbtools-Field', {
        has: page.getByRole('checkbox', { name: 'flag bool' })
      });
      const label = field.locator('label');
      const [box, fieldBox, labelBox] = [
        await flag.boundingBox(),
        await field.boundingBox(),
        await label.boundingBox()
      ];
      expect(box!.x - fieldBox!.x).toBeLessThan(8);
      expect(labelBox!.x).toBeGreaterThanOrEqual(box!.x + box!.width);
      expect(
        Math.abs(labelBox!.y + labelBox!.height / 2 - (box!.y + box!.height / 2))
      ).toBeLessThan(4);
      expect(await violations(page, testInfo, '.jp-nbtools-JobFormWidget')).toEqual([]);
      await attachScreenshot(page, testInfo, `job-form-empty-number-${theme}`, widget);
    }
    await page.theme.setLightTheme();
    // Reached with Tab from the field before it, and switched with Space.
    await seconds.fill('5');
    await seconds.focus();
    await page.keyboard.press('Tab');
    await expect(flag).toBeFocused();
    await page.keyboard.press('Space');
    await expect(flag).not.toBeChecked();
  });

  test('a one-off run creates a run, not a job', async ({ tmpPath }) => {
    const page = lab();
    const path = await open(page, tmpPath, 'once.ipynb', [
      parametersCell('n = 1'),
      codeCell('b', 'n')
    ]);
    const form = await createJobForm(page, 'once.ipynb');
    await expect(
      form.getByRole('radio', { name: 'Once, now (a run of the notebook; no job is saved)' })
    ).toBeChecked();
    await expect(form.getByRole('textbox', { name: 'Job name' })).toHaveCount(0);
    await form.getByRole('spinbutton', { name: 'n int', exact: true }).fill('4');
    await runNowFromForm(page, form);

    const runs = await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json();
    expect(runs).toEqual([expect.objectContaining({ job_id: null, parameters: { n: 4 } })]);
    expect(await (await page.request.get(`/nbtools/api/jobs?path=${path}`)).json()).toEqual([]);
  });

  test('Run now with unsaved changes asks to save them first, so the run executes what is shown', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    // The saved notebook fails; the edit (not saved yet) fixes it.
    const path = await open(page, tmpPath, 'unsaved.ipynb', [
      parametersCell('city = "Lisbon"'),
      codeCell('b', 'assert city == "Porto", city')
    ]);
    await page.evaluate(() => {
      const notebook = window.jupyterapp.shell.currentWidget as unknown as {
        content: { widgets: { model: { sharedModel: { setSource(text: string): void } } }[] };
      };
      notebook.content.widgets[0].model.sharedModel.setSource('city = "Porto"');
    });
    const saved = async (): Promise<string> => {
      const file = await page.request.get(`/api/contents/${path}?type=notebook&content=1`);
      return (await file.json()).content.cells[0].source as string;
    };
    expect(await saved()).toBe('city = "Lisbon"');

    // From the package wizard, as a user schedules the notebook.
    const panel = await openSection(page, 'unsaved.ipynb', 'Package');
    await panel.getByRole('button', { name: '6. Schedule' }).press('Enter');
    await panel.getByRole('button', { name: 'Schedule this notebook' }).press('Enter');
    const form = page.getByRole('form', { name: 'Create job' });
    const runNow = form.getByRole('button', { name: 'Run now', exact: true });
    await runNow.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Save the notebook first?');
    await expect(dialog).toContainText(
      `${path} has unsaved changes. The run executes the saved notebook: save it to run what you see.`
    );
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await attachScreenshot(page, testInfo, `run-now-save-first-${theme}`, dialog);
    }
    await page.theme.setLightTheme();

    // Cancel: nothing saved, nothing run, the form still open.
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(form).toBeVisible();
    expect(await saved()).toBe('city = "Lisbon"');
    expect(await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json()).toEqual([]);

    // Save and run: the saved notebook is the edited one, and that is what runs.
    await runNow.press('Enter');
    await expect(dialog.getByRole('button', { name: 'Save and run' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(form).toHaveCount(0);
    expect(await saved()).toBe('city = "Porto"');
    const runs = await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json();
    expect(runs).toHaveLength(1);
    await expect
      .poll(
        async () =>
          (await (await page.request.get(`/nbtools/api/runs/${runs[0].id}`)).json()).status,
        { timeout: 90_000 }
      )
      .toBe('succeeded');
  });

  test('editing a job shows what was saved and saves the change', async ({ tmpPath }) => {
    const page = lab();
    const path = await open(page, tmpPath, 'weekly.ipynb', [
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

  test('a monthly preset runs on a day at a time; days 29-31 skip the months without them', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = await open(page, tmpPath, 'monthly.ipynb', [codeCell('a', 'x = 1')]);
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

  test('a purpose the data does not allow is refused at the purpose field', async ({ tmpPath }) => {
    const page = lab();
    test.setTimeout(180_000);
    // The catalog is managed with the CLI or datasets.yaml; here through its Python API,
    // from a kernel whose working directory is `tmpPath` under the server root.
    await open(page, tmpPath, 'setup.ipynb', [
      codeCell(
        'setup',
        [
          'from pathlib import Path',
          'from nbtools.data.catalog import add_dataset, dataset_spec',
          'from nbtools.project import Project',
          'project = Project(Path.cwd().parent)',
          'spec = {"location": "customers.csv", "classification": "personal", "purposes": ["care"]}',
          'add_dataset(project, dataset_spec(project, "customers", spec))',
          'project.close()',
          'print("catalogued")'
        ].join('\n')
      )
    ]);
    await page.notebook.runCell(0);
    await expect(page.getByText('catalogued', { exact: true })).toBeVisible({ timeout: 60_000 });

    await open(page, tmpPath, 'churn.ipynb', [
      codeCell('a', 'import nbtools\ncustomers = nbtools.data.path("customers")')
    ]);
    const form = await createJobForm(page, 'churn.ipynb');
    const datasets = form.getByRole('list', { name: 'Datasets used' });
    await expect(datasets).toContainText('customers');
    await expect(datasets).toContainText('personal');
    await expect(datasets).toContainText('allowed purposes: care');
    await form.getByRole('radio', { name: RECURRING }).check();
    const purpose = form.getByRole('textbox', { name: 'Purpose (required)' });

    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(purpose).toBeFocused();
    await expect(purpose).toHaveAccessibleDescription(
      /uses data only some purposes may use \(customers\)/
    );

    // The server's refusal (403), with its message, under the field.
    await purpose.fill('ads');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(purpose).toHaveAttribute('aria-invalid', 'true');
    await expect(purpose).toHaveAccessibleDescription(
      /Dataset 'customers' \(personal\) may not be used for the purpose 'ads': its allowed purposes are care\./
    );
    await expect(purpose).toBeFocused();
    const jobs = `/nbtools/api/jobs?path=${tmpPath}/churn.ipynb`;
    expect(await (await page.request.get(jobs)).json()).toEqual([]);

    await purpose.fill('care');
    await expect(purpose).toHaveAttribute('aria-invalid', 'false');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form).toHaveCount(0);
    expect(await (await page.request.get(jobs)).json()).toEqual([
      expect.objectContaining({ name: 'churn', purpose: 'care' })
    ]);
  });

  test('a kernel not installed here is refused under its field; without the check the job is saved', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const path = await open(page, tmpPath, 'remote.ipynb', [codeCell('a', 'x = 1')]);
    const form = await createJobForm(page, 'remote.ipynb');
    await form.getByRole('radio', { name: RECURRING }).check();
    const kernel = form.getByRole('textbox', { name: 'Kernel' });
    const check = form.getByRole('checkbox', { name: 'Check that the kernel is installed here' });
    await kernel.fill('r-on-the-workers');
    // Offered only once the server refused the kernel for that reason.
    await expect(check).toHaveCount(0);

    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(kernel).toHaveAttribute('aria-invalid', 'true');
    await expect(kernel).toHaveAccessibleDescription(
      /No kernel named 'r-on-the-workers'\. Installed kernels: .*python3.*If it is installed where the scheduler executes the runs, turn the kernel check off\./
    );
    await expect(kernel).toBeFocused();
    const jobs = `/nbtools/api/jobs?path=${path}`;
    expect(await (await page.request.get(jobs)).json()).toEqual([]);
    await expect(check).toBeChecked();
    const widget = '.jp-nbtools-JobFormWidget';
    expect(await violations(page, testInfo, widget)).toEqual([]);
    await attachScreenshot(page, testInfo, 'job-form-kernel-light', page.locator(widget));
    await page.theme.setDarkTheme();
    expect(await violations(page, testInfo, widget)).toEqual([]);
    await attachScreenshot(page, testInfo, 'job-form-kernel-dark', page.locator(widget));

    // Reached with Tab from the kernel field, and turned off with Space.
    await page.keyboard.press('Tab');
    await expect(check).toBeFocused();
    await page.keyboard.press('Space');
    await expect(check).not.toBeChecked();
    await expect(kernel).toHaveAttribute('aria-invalid', 'false');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form).toHaveCount(0);
    const saved = (await (await page.request.get(jobs)).json()) as { id: number }[];
    expect(saved).toEqual([
      expect.objectContaining({ name: 'remote', kernel_name: 'r-on-the-workers' })
    ]);

    // Edited again, the form shows the kernel; a save that keeps it is not checked again.
    await page.evaluate(
      id => window.jupyterapp.commands.execute('nbtools:edit-job', { id }),
      saved[0].id
    );
    const edit = page.getByRole('form', { name: 'Edit job' });
    await expect(edit.getByRole('textbox', { name: 'Kernel' })).toHaveValue('r-on-the-workers');
    await edit.getByRole('textbox', { name: 'Keep runs' }).fill('5');
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(edit).toHaveCount(0);
    expect(await (await page.request.get(jobs)).json()).toEqual([
      expect.objectContaining({ kernel_name: 'r-on-the-workers', keep_runs: '5' })
    ]);
  });
});
