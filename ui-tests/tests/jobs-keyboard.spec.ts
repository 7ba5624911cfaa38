import { expect } from '@jupyterlab/galata';

import { notebookWithJob, openNotebook, openSection } from './helpers';
import { sharePage, test } from './fixtures';

/* The Jobs section by keyboard alone. */
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
});
