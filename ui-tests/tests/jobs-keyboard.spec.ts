import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  holdRequests,
  inEachTheme,
  notebookWithJob,
  notification,
  openJobPage,
  openNotebook,
  openSection
} from './helpers';
import { sharePage, test } from './fixtures';

/* The Jobs section, a job's page, its form and the jobs dashboard by keyboard alone. */
test.describe('Jobs section by keyboard', () => {
  const lab = sharePage();

  test('after a job is deleted, the focus goes to the job in its place, then to Create job', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/two.ipynb`;
    await notebookWithJob(page, path, { name: 'first job', cron: '0 6 * * *' });
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: path, name: 'second job', cron: '0 7 * * *' }
    });
    expect(created.ok()).toBe(true);
    await openNotebook(page, path);
    const panel = await openSection(page, 'two.ipynb', 'Jobs');
    const jobs = panel.getByRole('list', { name: 'Jobs' });
    const first = jobs.getByRole('listitem', { name: 'first job' });
    const second = jobs.getByRole('listitem', { name: 'second job' });
    await expect(second).toBeVisible();
    const dialog = page.getByRole('dialog');

    // Kept: the focus is back on Delete.
    const deleteFirst = first.getByRole('button', { name: 'Delete', exact: true });
    await deleteFirst.focus();
    await page.keyboard.press('Enter');
    await expect(dialog).toContainText('Delete job "first job"?');
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(deleteFirst).toBeFocused();

    // Deleted with Enter: the job now in its place has the focus, on its first button.
    await page.keyboard.press('Enter');
    await expect(dialog.getByRole('button', { name: 'Delete' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(first).toHaveCount(0);
    await expect(second.getByRole('button', { name: 'Open page' })).toBeFocused();

    // The last one: Create job has the focus.
    await second.getByRole('button', { name: 'Delete', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect(dialog.getByRole('button', { name: 'Delete' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(jobs).toHaveCount(0);
    await expect(panel.getByRole('button', { name: 'Create job' })).toBeFocused();
  });

  test('a job form or page that closes leaves the focus in the tab shown next, not on the body', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/paged.ipynb`;
    const job = await notebookWithJob(page, path, { name: 'paged job', cron: '0 6 * * *' });
    await openNotebook(page, path);
    await openJobPage(page, job.id);
    const article = page.getByRole('article', { name: 'paged job' });
    await expect(article).toBeVisible();
    const focusIn = (selector: string) =>
      page.evaluate(inside => document.activeElement?.closest(inside) !== null, selector);

    // The form opened from the page and cancelled: the focus is back in the page, and Tab
    // reaches its first button.
    await article.getByRole('button', { name: 'Edit' }).focus();
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: 'Edit job' });
    await form.getByRole('button', { name: 'Cancel' }).focus();
    await page.keyboard.press('Enter');
    await expect(form).toHaveCount(0);
    await expect.poll(() => focusIn('.jp-nbtools-JobPageWidget')).toBe(true);
    await page.keyboard.press('Tab');
    await expect(article.getByRole('button', { name: 'Run now' })).toBeFocused();

    // Deleted from its page: the page closes and the notebook has the focus.
    await article.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('button', { name: 'Delete' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(article).toHaveCount(0);
    await expect.poll(() => focusIn('.jp-NotebookPanel')).toBe(true);
  });

  test("the dashboard's Pause keeps the focus: with nothing selected, while it acts, and after", async ({
    tmpPath
  }) => {
    const page = lab();
    const tag = `bulk${Date.now().toString(36)}`;
    const path = `${tmpPath}/bulk.ipynb`;
    await notebookWithJob(page, path, { name: `${tag} one`, cron: '0 6 * * *' });
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: path, name: `${tag} two`, cron: '0 7 * * *' }
    });
    expect(created.ok()).toBe(true);
    await page.evaluate(() => window.jupyterapp.commands.execute('nbtools:open-jobs-dashboard'));
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tag);
    const table = dashboard.getByRole('table', { name: 'Jobs' });
    await expect(table.locator('tbody tr')).toHaveCount(2);
    const bulk = dashboard.getByRole('group', { name: 'Selected jobs' });
    const pause = bulk.getByRole('button', { name: 'Pause' });
    const patches: string[] = [];
    page.on('request', request => {
      if (request.method() === 'PATCH' && /\/nbtools\/api\/jobs\//.test(request.url())) {
        patches.push(request.url());
      }
    });

    // Nothing selected: reached, unusable, pressed in vain.
    await pause.focus();
    await expect(pause).toHaveAttribute('aria-disabled', 'true');
    await page.keyboard.press('Enter');
    await expect(pause).toBeFocused();

    // Both selected with Space, then Pause pressed twice while the server has not answered.
    for (const name of ['one', 'two']) {
      await table.getByRole('checkbox', { name: `Select ${tag} ${name}` }).focus();
      await page.keyboard.press('Space');
    }
    await expect(bulk).toContainText('2 selected');
    await expect(pause).toHaveAttribute('aria-disabled', 'false');
    const slow = await holdRequests(page, /\/nbtools\/api\/jobs\/\d+(\?.*)?$/, 'PATCH');
    await pause.focus();
    await page.keyboard.press('Enter');
    await slow.arrived();
    await page.keyboard.press('Enter');
    await expect(pause).toHaveAttribute('aria-disabled', 'true');
    await expect(pause.locator('.jp-nbtools-Spinner')).toBeVisible();
    await expect(pause).toBeFocused();
    expect(await slow.release()).toBe(2);
    await expect(notification(page, '2 jobs paused.')).toBeVisible();
    // Done, the selection cleared: the focus is still there.
    await expect(bulk).toContainText('0 selected');
    await expect(pause).toBeFocused();
    expect(patches).toHaveLength(2);
  });

  test('the job form opens on its first field; Escape closes it, asking first when it was edited, and gives the focus back', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const path = `${tmpPath}/escape.ipynb`;
    const job = await notebookWithJob(page, path, { name: 'escape job', cron: '0 6 * * *' });
    await openNotebook(page, path);
    const panel = await openSection(page, 'escape.ipynb', 'Jobs');
    const edit = panel
      .getByRole('list', { name: 'Jobs' })
      .getByRole('listitem', { name: 'escape job' })
      .getByRole('button', { name: 'Edit', exact: true });
    const form = page.getByRole('form', { name: 'Edit job' });
    const name = form.getByRole('textbox', { name: 'Job name' });
    const dialog = page.getByRole('dialog');

    // Unchanged: Escape closes it at once, the focus back on Edit.
    await edit.focus();
    await page.keyboard.press('Enter');
    await expect(name).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(form).toHaveCount(0);
    await expect(dialog).toHaveCount(0);
    await expect(edit).toBeFocused();

    // Edited: Escape asks; Keep editing (Escape in the dialog) keeps the form and the edit.
    await page.keyboard.press('Enter');
    await expect(name).toBeFocused();
    await page.keyboard.type(' renamed');
    await page.keyboard.press('Escape');
    await expect(dialog).toContainText('Discard your edits?');
    await expect(dialog.getByRole('button', { name: 'Keep editing' })).toBeVisible();
    await inEachTheme(page, theme =>
      attachScreenshot(page, testInfo, `job-form-discard-${theme}`, dialog)
    );
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(form).toBeVisible();
    await expect(name).toHaveValue('escape job renamed');

    // Discard: the form closes unsaved, the focus back on Edit.
    await name.focus();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Discard' }).click();
    await expect(form).toHaveCount(0);
    await expect(edit).toBeFocused();
    const kept = await (await page.request.get(`/nbtools/api/jobs/${job.id}`)).json();
    expect(kept.name).toBe('escape job');
  });
});
