import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  createJobForm,
  inEachTheme,
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
});
