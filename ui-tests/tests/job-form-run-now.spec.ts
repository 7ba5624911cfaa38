import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  createJobForm,
  holdRequests,
  inEachTheme,
  notebookWithJob,
  openSection,
  parametersCell,
  runNowFromForm,
  uploadAndOpen
} from './helpers';
import { sharePage, test } from './fixtures';

/* The job form: a one-off run from the form, and the unsaved notebook it runs. */
test.describe('Job form: Run now', () => {
  const lab = sharePage();

  test('a one-off run creates a run, not a job', async ({ tmpPath }) => {
    const page = lab();
    const path = await uploadAndOpen(page, tmpPath, 'once.ipynb', [
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

  test('every field of a one-off run the server refuses is told under it, from one answer', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const path = await uploadAndOpen(page, tmpPath, 'limits.ipynb', [
      parametersCell('n = 1'),
      codeCell('b', 'n')
    ]);
    const form = await createJobForm(page, 'limits.ipynb');
    // Whole numbers of seconds, as the form checks them, but beyond what the server stores.
    const timeout = form.getByRole('spinbutton', { name: 'Run timeout (s)' });
    const cellTimeout = form.getByRole('spinbutton', { name: 'Cell timeout (s)' });
    await timeout.fill('99999999999');
    await cellTimeout.fill('99999999999');
    const sent: string[] = [];
    page.on('request', request => {
      if (request.method() === 'POST' && /\/nbtools\/api\/runs(\?.*)?$/.test(request.url())) {
        sent.push(request.url());
      }
    });
    await form.getByRole('button', { name: 'Run now', exact: true }).click();
    const saveFirst = page.getByRole('dialog').getByRole('button', { name: 'Save and run' });
    await expect(async () => {
      if (await saveFirst.isVisible()) {
        await saveFirst.click();
      }
      await expect(cellTimeout).toHaveAttribute('aria-invalid', 'true', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await expect(form.getByRole('alert')).toContainText('Correct the 2 fields marked below.');
    for (const [field, name] of [
      [timeout, 'timeout_seconds'],
      [cellTimeout, 'cell_timeout_seconds']
    ] as const) {
      await expect(field).toHaveAttribute('aria-invalid', 'true');
      await expect(field).toHaveAccessibleDescription(
        new RegExp(
          `^${name} must be a positive whole number of seconds \\(at most 2147483647\\), got 99999999999\\.`
        )
      );
    }
    await expect(timeout).toBeFocused();
    expect(sent).toHaveLength(1);
    expect(await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json()).toEqual([]);
    await inEachTheme(page, theme =>
      attachScreenshot(page, testInfo, `run-now-server-errors-${theme}`, form)
    );

    // Corrected, the run is queued.
    await timeout.fill('600');
    await expect(timeout).toHaveAttribute('aria-invalid', 'false');
    await expect(cellTimeout).toHaveAttribute('aria-invalid', 'true');
    await cellTimeout.fill('60');
    await runNowFromForm(page, form);
    expect(await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json()).toEqual([
      expect.objectContaining({ timeout_seconds: 600, cell_timeout_seconds: 60 })
    ]);
  });

  test('Run now with unsaved changes asks to save them first, so the run executes what is shown', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    // The saved notebook fails; the edit (not saved yet) fixes it.
    const path = await uploadAndOpen(page, tmpPath, 'unsaved.ipynb', [
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
    await inEachTheme(page, theme =>
      attachScreenshot(page, testInfo, `run-now-save-first-${theme}`, dialog)
    );

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

  test('a job without a schedule is saved without a run by Save; Save and run now stays the primary', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const path = `${tmpPath}/on-demand.ipynb`;
    const job = await notebookWithJob(page, path, { name: 'on demand keep' });
    await page.evaluate(
      id => window.jupyterapp.commands.execute('nbtools:edit-job', { id }),
      job.id
    );
    const form = page.getByRole('form', { name: 'Edit job' });
    const primary = form.getByRole('button', { name: 'Save and run now' });
    const save = form.getByRole('button', { name: 'Save', exact: true });
    await expect(primary).toHaveAttribute('type', 'submit');
    await expect(primary).toHaveClass(/jp-mod-accept/);
    await expect(save).toHaveAttribute('type', 'button');
    await form.getByRole('textbox', { name: 'Keep runs' }).fill('7');
    await inEachTheme(page, theme =>
      attachScreenshot(page, testInfo, `job-form-save-without-run-${theme}`, form)
    );

    // By keyboard: Save comes next after the primary button.
    await primary.focus();
    await page.keyboard.press('Tab');
    await expect(save).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(form).toHaveCount(0);
    const saved = await (await page.request.get(`/nbtools/api/jobs/${job.id}`)).json();
    expect(saved.keep_runs).toBe('7');
    expect(await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json()).toEqual([]);
  });

  test('Save keeps the focus while it saves; pressed again meanwhile, it saves once', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/on-demand-once.ipynb`;
    const job = await notebookWithJob(page, path, { name: 'on demand once' });
    await page.evaluate(
      id => window.jupyterapp.commands.execute('nbtools:edit-job', { id }),
      job.id
    );
    const form = page.getByRole('form', { name: 'Edit job' });
    const primary = form.getByRole('button', { name: 'Save and run now' });
    await form.getByRole('textbox', { name: 'Keep runs' }).fill('9');

    const save = form.getByRole('button', { name: 'Save', exact: true });
    const slow = await holdRequests(page, /\/nbtools\/api\/jobs\/\d+(\?.*)?$/, 'PATCH');
    await save.focus();
    await page.keyboard.press('Enter');
    await slow.arrived();
    await page.keyboard.press('Enter'); // again while it saves: ignored, the focus kept
    await expect(save).toHaveAttribute('aria-disabled', 'true');
    await expect(save.locator('.jp-nbtools-Spinner')).toBeVisible();
    await expect(save).toBeFocused();
    await expect(primary).toHaveAttribute('aria-disabled', 'true'); // the form saves once
    await expect(primary.locator('.jp-nbtools-Spinner')).toHaveCount(0);
    await primary.click({ force: true }); // a click, which Playwright holds back from it
    expect(await slow.release()).toBe(1);
    await expect(form).toHaveCount(0);
    const saved = await (await page.request.get(`/nbtools/api/jobs/${job.id}`)).json();
    expect(saved.keep_runs).toBe('9');
    expect(await (await page.request.get(`/nbtools/api/runs?path=${path}`)).json()).toEqual([]);
  });
});
