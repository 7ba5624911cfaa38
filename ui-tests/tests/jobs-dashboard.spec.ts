import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations,
  withoutSchedulers
} from './helpers';
import { narrowSidebar } from './layoutChecks';
import { sharePage, test } from './fixtures';

/** Upload a notebook with a parameters cell to `path`. */
async function upload(page: IJupyterLabPageFixture, path: string): Promise<void> {
  const parameters = { ...codeCell('p', 'days = 1'), metadata: { tags: ['parameters'] } };
  expect(
    await page.contents.uploadContent(
      notebookJson([parameters, codeCell('b', 'print(1 / days)')]),
      'text',
      path
    )
  ).toBe(true);
}

/** The dashboard's tab, opened from the launcher's Notebook Production card. */
async function openFromLauncher(page: IJupyterLabPageFixture): Promise<Locator> {
  const launcher = page.locator('.jp-Launcher:visible');
  if ((await launcher.count()) === 0) {
    await page.evaluate(() => window.jupyterapp.commands.execute('launcher:create'));
  }
  await launcher.locator('.jp-LauncherCard[title^="Every job of the project"]').click();
  const dashboard = page.locator('.jp-nbtools-Dashboard');
  await expect(dashboard.getByRole('heading', { name: 'Jobs' })).toBeVisible();
  return dashboard;
}

test.describe('jobs dashboard', () => {
  const lab = sharePage();

  test('no jobs: a friendly empty state with a Create job action', async () => {
    const page = lab();
    // Start from a project without jobs: archive what earlier specs left.
    const listed = await page.request.get('/nbtools/api/jobs');
    for (const job of (await listed.json()) as { id: number }[]) {
      expect((await page.request.delete(`/nbtools/api/jobs/${job.id}`)).ok()).toBe(true);
    }
    const dashboard = await openFromLauncher(page);
    await expect(dashboard).toContainText('No jobs yet.');
    await dashboard.getByRole('button', { name: 'Create job' }).click();
    // No notebook is active: the dialog asks which one to run.
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Notebook to run');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
  });

  test('lists, filters, sorts and pages jobs; pauses and resumes them in bulk', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const path = `${tmpPath}/sales.ipynb`;
    await upload(page, path);
    // A word only this test's jobs have, so that jobs of other specs never count.
    const tag = `t${Date.now().toString(36)}`;
    for (let index = 1; index <= 27; index++) {
      const number = String(index).padStart(2, '0');
      const created = await page.request.post('/nbtools/api/jobs', {
        data: { name: `${tag}-job-${number}`, notebook_path: path, cron: '0 6 * * *' }
      });
      expect(created.ok()).toBe(true);
    }

    // Job 01 runs twice: it succeeds, then fails (its sparkline and last run status).
    const listed = await page.request.get(`/nbtools/api/jobs/overview?q=${tag}`);
    const firstId = ((await listed.json()) as { jobs: { id: number }[] }).jobs[0].id;
    for (const days of [2, 0]) {
      const run = await page.request.post(`/nbtools/api/jobs/${firstId}/run`, {
        data: { parameters: { days } }
      });
      expect(run.ok()).toBe(true);
    }
    await expect
      .poll(
        async () => {
          const found = await page.request.get(`/nbtools/api/jobs/overview?q=${tag}&limit=1`);
          const row = ((await found.json()) as { jobs: { recent_runs: unknown[] }[] }).jobs[0];
          return row.recent_runs.length;
        },
        { timeout: 120_000 }
      )
      .toBe(2);

    const dashboard = await openFromLauncher(page);
    await expect(page.getByRole('tab', { name: 'Jobs' })).toBeVisible();
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tag);
    const table = dashboard.getByRole('table', { name: 'Jobs' });
    const pages = dashboard.getByRole('navigation', { name: 'Pages of jobs' });
    await expect(pages).toContainText('1–25 of 27');
    await expect(table.locator('tbody tr')).toHaveCount(25);
    await expect(table.locator('tbody tr').first()).toContainText(`${tag}-job-01`);
    await expect(table.locator('tbody tr').first()).toContainText('At 06:00 AM (UTC)');
    await expect(table.locator('tbody tr').first()).toContainText('failed');
    await expect(
      table.getByRole('img', { name: /^Durations of the last 2 runs: .* succeeded, .* failed$/ })
    ).toBeVisible();
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-Dashboard')).toEqual([]);
      await attachScreenshot(page, testInfo, `jobs-dashboard-${theme}`);
    });

    // Paging, with the keyboard: the button disabled at the last (first) page hands the focus
    // to the other one, never to the page's body.
    const next = pages.getByRole('button', { name: 'Next' });
    const previous = pages.getByRole('button', { name: 'Previous' });
    await next.focus();
    await page.keyboard.press('Enter');
    await expect(pages).toContainText('26–27 of 27');
    await expect(table.locator('tbody tr')).toHaveCount(2);
    await expect(next).toBeDisabled();
    await expect(previous).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(pages).toContainText('1–25 of 27');
    await expect(previous).toBeDisabled();
    await expect(next).toBeFocused();

    // Sorting: the name column again sorts the other way.
    const nameHeader = table.getByRole('columnheader', { name: 'Name' });
    await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(table.locator('tbody tr').first()).toContainText(`${tag}-job-27`);
    await nameHeader.getByRole('button').click();
    await expect(table.locator('tbody tr').first()).toContainText(`${tag}-job-01`);

    // Words narrow the list.
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(`${tag}-job-05`);
    await expect(pages).toContainText('1–1 of 1');

    // Bulk pause, by keyboard: select two rows with Space, then the Pause button.
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tag);
    await expect(pages).toContainText('1–25 of 27');
    await table.getByRole('checkbox', { name: `Select ${tag}-job-01` }).focus();
    await page.keyboard.press('Space');
    await table.getByRole('checkbox', { name: `Select ${tag}-job-02` }).check();
    const bulk = dashboard.getByRole('group', { name: 'Selected jobs' });
    await expect(bulk).toContainText('2 selected');
    await bulk.getByRole('button', { name: 'Pause' }).click();
    await expect(page.locator('.jp-toastContainer')).toContainText('2 jobs paused.');
    await dashboard.getByRole('combobox', { name: 'Status' }).selectOption('paused');
    await expect(pages).toContainText('1–2 of 2');
    await expect(table.getByRole('rowheader', { name: `${tag}-job-02 paused` })).toBeVisible();

    // Bulk resume of the whole (filtered) page.
    await table.getByRole('checkbox', { name: 'Select every job of this page' }).check();
    await bulk.getByRole('button', { name: 'Resume' }).click();
    await expect(page.locator('.jp-toastContainer')).toContainText('2 jobs resumed.');
    await expect(dashboard).toContainText('No jobs match the filter.');

    // A job's name opens its page, by keyboard.
    await dashboard.getByRole('combobox', { name: 'Status' }).selectOption('');
    await table.getByRole('button', { name: `${tag}-job-03` }).focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('tab', { name: `Job: ${tag}-job-03` })).toBeVisible();
  });

  test('names sort as people read numbers; a count of one is singular, wherever a schedule shows', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/hourly.ipynb`;
    await upload(page, path);
    const tag = `n${Date.now().toString(36)}`;
    for (const number of [10, 1, 100, 11, 2]) {
      const created = await page.request.post('/nbtools/api/jobs', {
        data: { name: `${tag} job ${number}`, notebook_path: path, cron: '1 * * * *' }
      });
      expect(created.ok()).toBe(true);
    }
    const dashboard = await openFromLauncher(page);
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tag);
    const table = dashboard.getByRole('table', { name: 'Jobs' });
    const names = table.getByRole('rowheader');
    const inOrder = [1, 2, 10, 11, 100].map(number => `${tag} job ${number}`);
    await expect(names).toHaveText(inOrder);
    await expect(table.locator('tbody tr').first()).toContainText(
      'At 1 minute past the hour (UTC)'
    );
    // The other way, by keyboard.
    const nameHeader = table.getByRole('columnheader', { name: 'Name' });
    await nameHeader.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(names).toHaveText([...inOrder].reverse());

    // The Jobs section and the job page say it as the dashboard does.
    await openNotebook(page, path);
    const panel = await openSection(page, 'hourly.ipynb', 'Jobs');
    const job = panel.getByRole('listitem', { name: `${tag} job 2` });
    await expect(job).toContainText('At 1 minute past the hour (UTC) · next');
    await job.getByRole('button', { name: 'Open page' }).click();
    const schedule = page
      .getByRole('article', { name: `${tag} job 2` })
      .getByRole('region', { name: 'Schedule' });
    await expect(schedule.locator('dt', { hasText: 'When' }).locator('+ dd')).toHaveText(
      'At 1 minute past the hour (UTC)'
    );
  });

  test('a job created with a name in the Jobs section is shown in the dashboard', async ({
    tmpPath
  }) => {
    const page = lab();
    await upload(page, `${tmpPath}/forecast.ipynb`);
    await openNotebook(page, `${tmpPath}/forecast.ipynb`);
    const panel = await openSection(page, 'forecast.ipynb', 'Jobs');
    await panel.getByRole('button', { name: 'Create job' }).click();
    const form = page.getByRole('form', { name: 'Create job' });
    await form.getByRole('radio', { name: 'Recurring, on a schedule (saved as a job)' }).check();
    const name = `Forecast ${Date.now().toString(36)}`;
    await form.getByRole('textbox', { name: 'Job name' }).fill(name);
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(panel.getByRole('list', { name: 'Jobs' })).toContainText(name);

    await panel.getByRole('button', { name: 'All jobs of the project' }).click();
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(name);
    const row = dashboard.getByRole('table', { name: 'Jobs' }).locator('tbody tr');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(name);
    await expect(row).toContainText('forecast.ipynb');
    await expect(row).toContainText('never run');
  });
});

test.describe('jobs dashboard without a scheduler', () => {
  test('with no scheduler alive, scheduled runs are said to wait, until one is', async ({
    page,
    tmpPath
  }) => {
    // The server's own status, its schedulers marked no longer alive from the first request on
    const status = await withoutSchedulers(page);
    const path = `${tmpPath}/daily.ipynb`;
    await upload(page, path);
    const name = `daily ${tmpPath}`;
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: path, name, cron: '0 3 * * *', timezone: 'Asia/Tokyo' }
    });
    expect(created.ok(), await created.text()).toBe(true);
    const dashboard = await openFromLauncher(page);
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(name);
    const rows = dashboard.getByRole('table', { name: 'Jobs' }).locator('tbody tr');
    await expect(rows).toHaveCount(1);
    // Its next run in Tokyo's time, as its schedule reads, then the browser's own
    await expect(rows).toContainText(/next: .*3:00:00\sAM (JST|GMT\+9) \(.+ here\)/);
    const notice = dashboard.getByRole('status').filter({ hasText: 'No scheduler is running' });
    // shown once two checks in a row (5 s apart) found none
    await expect(notice).toContainText('scheduled and queued runs wait until one starts', {
      timeout: 20_000
    });
    status.served();
    await expect(notice).toHaveCount(0, { timeout: 20_000 });
  });
});

test.describe('jobs dashboard beside the sidebar at 250 px', () => {
  // Its own page: the sidebar dragged to its minimum width stays so; a wide main area beside it.
  test.use({ viewport: { width: 1600, height: 900 } });

  test('the filter row: the status select as wide as its options, Refresh beside it, not dimmed', async ({
    page
  }, testInfo) => {
    await narrowSidebar(page);
    const dashboard = await openFromLauncher(page);
    const toolbar = dashboard.getByRole('search');
    const status = toolbar.getByRole('combobox', { name: 'Status' });
    const refresh = toolbar.getByRole('button', { name: 'Refresh' });
    await inEachTheme(page, async theme => {
      const row = await toolbar.evaluate(node => {
        const select = node.querySelector('select')!;
        const context = document.createElement('canvas').getContext('2d')!;
        context.font = getComputedStyle(select).font;
        const widest = Math.max(
          ...[...select.options].map(option => context.measureText(option.text).width)
        );
        const box = (element: Element) => element.getBoundingClientRect();
        // The dropdown as seen: JupyterLab's HTMLSelect, its arrow at its right edge.
        const dropdown = select.closest('.jp-HTMLSelect')!;
        const refreshButton = [...node.querySelectorAll('button')].find(
          button => button.textContent === 'Refresh'
        )!;
        return {
          dropdownWidth: box(dropdown).width,
          widest,
          toolbarWidth: box(node).width,
          dropdownTop: box(dropdown).top,
          refreshTop: box(refreshButton).top,
          opacity: getComputedStyle(node).opacity
        };
      });
      // The main area is wide: the dropdown takes what its longest status needs (the text, its
      // padding and arrow), not the row.
      expect(row.toolbarWidth).toBeGreaterThan(1000);
      expect(row.dropdownWidth).toBeGreaterThan(row.widest);
      expect(row.dropdownWidth).toBeLessThan(row.widest + 80);
      // Refresh on the same row; the row as bright as the page (it was dimmed as a disabled button).
      expect(Math.abs(row.refreshTop - row.dropdownTop)).toBeLessThan(8);
      expect(row.opacity).toBe('1');
      await expect(status).toBeVisible();
      await expect(refresh).toBeVisible();
      expect(await violations(page, testInfo, '.jp-nbtools-Dashboard')).toEqual([]);
      await attachScreenshot(page, testInfo, `jobs-dashboard-filters-${theme}`, toolbar);
    });
  });
});
