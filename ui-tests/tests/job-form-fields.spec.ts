import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  createJobForm,
  inEachTheme,
  notebookWithJob,
  parametersCell,
  RECURRING,
  uploadAndOpen,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';

/* The job form: each field's error told under it, in words, by the form or the server. */
test.describe('Job form: field errors', () => {
  const lab = sharePage();

  test('all errors show at once, each under its field, and the focus goes to the first', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await uploadAndOpen(page, tmpPath, 'report.ipynb', [
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
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, widget)).toEqual([]);
      await attachScreenshot(page, testInfo, `job-form-errors-${theme}`, page.locator(widget));
    });

    // Re-checked as the user types.
    await name.fill('Morning report');
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await cities.fill('["Lisbon", "Porto"]');
    await expect(cities).toHaveAttribute('aria-invalid', 'false');
    await expect(form.getByRole('alert')).toContainText('Correct the 2 fields marked below.');

    // What only the server checks is told at its field too, every field in one answer: a name
    // that is a number, a Keep runs it cannot read, more retries than it allows.
    await cron.fill('0 6 * * *');
    await cellTimeout.fill('60');
    await name.fill('12');
    const keepRuns = form.getByRole('textbox', { name: 'Keep runs' });
    await keepRuns.fill('lots');
    const retries = form.getByRole('spinbutton', { name: 'Retries', exact: true });
    await retries.fill('500');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form.getByRole('alert')).toContainText('Correct the 3 fields marked below.');
    for (const field of [name, keepRuns, retries]) {
      await expect(field).toHaveAttribute('aria-invalid', 'true');
    }
    await expect(name).toHaveAccessibleDescription(/A job's name cannot be a number \('12'\)/);
    await expect(keepRuns).toHaveAccessibleDescription(
      /^keep_runs must be a number of runs \(10\) or an age \(30d, 12w, 1y\), not 'lots'\./
    );
    await expect(retries).toHaveAccessibleDescription(
      'retries must be a whole number from 0 to 100, got 500.'
    );
    await expect(name).toBeFocused();
    await expect(name).toHaveValue('12');
  });

  test('an error of a field the form does not show is told in the form alert, naming the field', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    // A job without a schedule: its form shows no time zone, though it sends the job's.
    const path = `${tmpPath}/zone.ipynb`;
    const job = await notebookWithJob(page, path, { name: 'on demand' });
    await page.evaluate(
      id => window.jupyterapp.commands.execute('nbtools:edit-job', { id }),
      job.id
    );
    const form = page.getByRole('form', { name: 'Edit job' });
    await expect(form.getByRole('textbox', { name: 'Time zone' })).toHaveCount(0);
    // The time zone the form sends, as a newer server's zone database might refuse it (the
    // server's own answer, naming every field it refuses).
    const patches = new RegExp(`/nbtools/api/jobs/${job.id}(\\?.*)?$`);
    await page.context().route(patches, route =>
      route.request().method() === 'PATCH'
        ? route.continue({
            postData: JSON.stringify({
              ...route.request().postDataJSON(),
              timezone: 'Mars/Olympus'
            })
          })
        : route.fallback()
    );
    try {
      const keepRuns = form.getByRole('textbox', { name: 'Keep runs' });
      await keepRuns.fill('lots');
      await form.getByRole('button', { name: 'Save and run now' }).click();
      await expect(keepRuns).toHaveAttribute('aria-invalid', 'true');
      await expect(keepRuns).toBeFocused();
      await expect(form.getByRole('alert').filter({ hasText: 'Correct' })).toHaveText(
        'Correct the field marked below.'
      );
      const formAlert = form.getByRole('alert').filter({ hasText: 'timezone' });
      await expect(formAlert).toHaveText(
        /^timezone: Unknown timezone 'Mars\/Olympus'\. Use an IANA name such as 'UTC'/
      );
      await inEachTheme(page, async theme => {
        expect(await violations(page, testInfo, '.jp-nbtools-JobFormWidget')).toEqual([]);
        await attachScreenshot(page, testInfo, `job-form-hidden-field-${theme}`, form);
      });
      // With a schedule the form sends other fields: the server's errors are gone.
      await form.getByRole('radio', { name: RECURRING }).check();
      await expect(keepRuns).toHaveAttribute('aria-invalid', 'false');
      await expect(form.getByRole('alert')).toHaveCount(0);
      await form.getByRole('radio', { name: 'On demand (no schedule)' }).check();
    } finally {
      await page.context().unroute(patches);
    }
    // Sent as the job has it, the form saves (and runs the job).
    await form.getByRole('textbox', { name: 'Keep runs' }).fill('5');
    await form.getByRole('button', { name: 'Save and run now' }).click();
    await expect(form).toHaveCount(0);
    const saved = await (await page.request.get(`/nbtools/api/jobs/${job.id}`)).json();
    expect(saved).toEqual(expect.objectContaining({ keep_runs: '5', timezone: 'UTC' }));
  });

  test('an empty number field says so; a bool is a checkbox at the left of its label', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await uploadAndOpen(page, tmpPath, 'slow.ipynb', [
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
    await inEachTheme(page, async theme => {
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
    });
    // Reached with Tab from the field before it, and switched with Space.
    await seconds.fill('5');
    await seconds.focus();
    await page.keyboard.press('Tab');
    await expect(flag).toBeFocused();
    await page.keyboard.press('Space');
    await expect(flag).not.toBeChecked();
  });

  test('a purpose the data does not allow is refused at the purpose field', async ({ tmpPath }) => {
    const page = lab();
    test.setTimeout(180_000);
    // The catalog is managed with the CLI or datasets.yaml; here through its Python API,
    // from a kernel whose working directory is `tmpPath` under the server root.
    await uploadAndOpen(
      page,
      tmpPath,
      'setup.ipynb',
      [
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
      ],
      { kernel: true }
    );
    await page.notebook.runCell(0);
    await expect(page.getByText('catalogued', { exact: true })).toBeVisible({ timeout: 60_000 });

    await uploadAndOpen(page, tmpPath, 'churn.ipynb', [
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
    const path = await uploadAndOpen(page, tmpPath, 'remote.ipynb', [codeCell('a', 'x = 1')]);
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
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, widget)).toEqual([]);
      await attachScreenshot(page, testInfo, `job-form-kernel-${theme}`, page.locator(widget));
    });

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

  test('an infinite float default shows as inf, and a typed infinity is saved and shown again', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = await uploadAndOpen(page, tmpPath, 'growth.ipynb', [
      parametersCell('growth = 1e999  # how fast\nratio = 0.5'),
      codeCell('b', 'print(growth, ratio)')
    ]);
    const form = await createJobForm(page, 'growth.ipynb');
    await form.getByRole('radio', { name: RECURRING }).check();
    // The default, which JSON gives as "inf" (it was null: an empty number field).
    const growth = form.getByRole('textbox', { name: 'growth float' });
    await expect(growth).toHaveValue('inf');
    await expect(form.getByRole('spinbutton', { name: 'ratio float' })).toHaveValue('0.5');
    await growth.fill('-Infinity');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form).toHaveCount(0);
    const jobs = `/nbtools/api/jobs?path=${path}`;
    const saved = (await (await page.request.get(jobs)).json()) as { id: number }[];
    expect(saved).toEqual([expect.objectContaining({ parameters: { growth: '-inf' } })]);

    // Edited again, the form shows the job's value, and saves it as it is.
    await page.evaluate(
      id => window.jupyterapp.commands.execute('nbtools:edit-job', { id }),
      saved[0].id
    );
    const edit = page.getByRole('form', { name: 'Edit job' });
    await expect(edit.getByRole('textbox', { name: 'growth float' })).toHaveValue('-inf');
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(edit).toHaveCount(0);
    expect(await (await page.request.get(jobs)).json()).toEqual([
      expect.objectContaining({ parameters: { growth: '-inf' } })
    ]);
  });
});
