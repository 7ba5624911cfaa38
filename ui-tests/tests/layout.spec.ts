import { expect } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  notebookWithJob,
  openJobPage,
  openNotebook,
  openSection,
  PARAMETERS_CELL,
  sectionToggle
} from './helpers';
import { kernelWithSixTwice } from './serverState';
import {
  linesShown,
  narrowSidebar,
  overflowing,
  placeholderFits,
  wrappedButtons
} from './layoutChecks';
import { sharePage, test } from './fixtures';

/** The window the layout is checked in, unless a test says otherwise. */
const VIEWPORT = { width: 1280, height: 720 };

/** Expand every section of the Production panel. */
async function expandAll(panel: Locator): Promise<void> {
  const toggles = panel
    .locator('.jp-AccordionPanel-title')
    .getByRole('button', { expanded: false });
  while ((await toggles.count()) > 0) {
    await toggles.first().click();
  }
}

test.describe('Layout beside a narrowed sidebar', () => {
  // Its own page: the sidebar dragged to its minimum width stays so.
  test.use({ viewport: VIEWPORT });

  test('the panel holds at the sidebar minimum width and the dashboard at 1280x720, light and dark', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180_000);
    const path = `${tmpPath}/a-notebook-with-a-rather-long-name-for-its-folder.ipynb`;
    await notebookWithJob(
      page,
      path,
      {
        name: 'A job with a long name that has to wrap in a narrow sidebar',
        parameters: { region: 'south-south-west-by-the-long-coast' },
        cron: '15 6 * * 1-5',
        timezone: 'America/Argentina/Buenos_Aires'
      },
      [PARAMETERS_CELL, codeCell('b', 'print(region * days)')]
    );
    const name = 'a-notebook-with-a-rather-long-name-for-its-folder.ipynb';
    await openNotebook(page, path, { kernel: true }); // its Environment section reads the kernel's
    const panel = await openSection(page, name, 'Jobs');
    await expandAll(panel);
    await expect(panel.getByRole('list', { name: 'Jobs' })).toContainText('A job with a long name');
    await narrowSidebar(page);

    await inEachTheme(page, async theme => {
      // the panel and its six sections
      expect(await overflowing(page, 7)).toEqual([]);
      expect(await wrappedButtons(page)).toEqual([]);
      await attachScreenshot(page, testInfo, `panel-narrow-${theme}`);
    });

    // A job's monitoring, opened, with a rule and a webhook whose address is long, shown by its
    // site and fingerprint (on a tall page, for the screenshots to show it).
    await page.setViewportSize({ width: 1280, height: 1600 });
    const monitoring = panel.getByRole('region', { name: /^Monitoring of A job with a long name/ });
    await monitoring.getByRole('button', { name: 'Metrics and alerts' }).click();
    await monitoring.getByRole('textbox', { name: 'New alert rule' }).fill('late 26h');
    await monitoring.getByRole('button', { name: 'Add rule' }).click();
    await expect(monitoring.getByRole('list', { name: 'Alert rules' })).toContainText('late 26h');
    const hook = 'https://hooks.example.org/services/T0000000/B0000000/averyveryverylongtoken';
    await monitoring.getByRole('textbox', { name: 'Notification destination' }).fill(hook);
    await monitoring.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(monitoring.getByRole('list', { name: 'Notification targets' })).toContainText(
      'https://hooks.example.org/***'
    );
    await inEachTheme(page, async theme => {
      expect(await overflowing(page, 7)).toEqual([]);
      expect(await wrappedButtons(page)).toEqual([]);
      await monitoring.scrollIntoViewIfNeeded();
      await attachScreenshot(page, testInfo, `monitoring-narrow-${theme}`);
    });
    await monitoring.getByRole('button', { name: 'Hide metrics and alerts' }).click();
    await page.setViewportSize({ width: 1280, height: 720 });

    await panel.getByRole('button', { name: 'All jobs of the project' }).click();
    await expect(page.locator('.jp-nbtools-Dashboard table')).toBeVisible();
    await inEachTheme(page, async theme => {
      // the dashboard (the panel and its sections too, beside it)
      expect(await overflowing(page, 8)).toEqual([]);
      await attachScreenshot(page, testInfo, `dashboard-1280x720-${theme}`);
    });
  });
});

test.describe('Layout beside a narrowed sidebar: Environment and Data', () => {
  // Its own page: the sidebar dragged to its minimum width stays so.
  test.use({ viewport: VIEWPORT });

  test("at the sidebar's 250 px the Data search's placeholder shows whole and Installed twice takes the section's width, light and dark", async ({
    page,
    tmpPath
  }, testInfo) => {
    const six = await kernelWithSixTwice(page, tmpPath);
    try {
      const path = `${tmpPath}/narrow-env.ipynb`;
      const notebook = notebookJson([codeCell('one', 'import sys')], six.name);
      expect(await page.contents.uploadContent(notebook, 'text', path)).toBe(true);
      await openNotebook(page, path, { kernel: true });
      const panel = await openSection(page, 'narrow-env.ipynb', 'Environment');
      await sectionToggle(panel, 'Data').click();
      await narrowSidebar(page);
      const sidebar = await page
        .locator('#nbtools-production-panel')
        .evaluate(node => node.getBoundingClientRect().width);
      expect(sidebar).toBeLessThanOrEqual(250);
      const twice = panel.getByRole('list', { name: 'Packages installed twice' });
      await expect(twice.getByRole('listitem')).toHaveCount(1, { timeout: 60_000 });
      const search = panel.getByRole('searchbox', { name: 'Search datasets' });
      await expect(search).toBeVisible();

      await inEachTheme(page, async theme => {
        // The list below its label, across the section: not a column beside it.
        const [list, fields] = await twice.evaluate(node => [
          node.getBoundingClientRect().width,
          node.closest('dl')!.getBoundingClientRect().width
        ]);
        expect(list).toBeGreaterThanOrEqual(fields - 1);
        expect(await placeholderFits(search)).toBe(true);
        expect(await overflowing(page, 3)).toEqual([]);
        await twice.scrollIntoViewIfNeeded();
        await attachScreenshot(page, testInfo, `environment-data-narrow-${theme}`, panel);
      });
    } finally {
      await six.remove();
    }
  });
});

test.describe('Layout', () => {
  const lab = sharePage();

  test('a job page holds at 1280x720, light and dark', async ({ tmpPath }, testInfo) => {
    const page = lab();
    await page.setViewportSize(VIEWPORT);
    const path = `${tmpPath}/a-notebook-with-a-rather-long-name-for-its-folder.ipynb`;
    const job = await notebookWithJob(page, path, {
      name: `A job with a long name, a long notebook path and a long parameter ${Date.now().toString(36)}`,
      parameters: { region: 'south-south-west-by-the-long-coast-and-further-south-again', days: 7 },
      cron: '15 6 * * 1-5',
      timezone: 'America/Argentina/Buenos_Aires'
    });
    await openJobPage(page, job.id);
    const jobPage = page.getByRole('article', { name: job.name });
    await expect(jobPage.getByRole('table', { name: 'Parameters' })).toContainText('south');

    await inEachTheme(page, async theme => {
      // the job page's widget and its article
      expect(await overflowing(page, 2)).toEqual([]);
      await attachScreenshot(page, testInfo, `job-page-1280x720-${theme}`);
    });
  });

  test('a long job name without spaces wraps: the panel, dashboard and job page hold, light and dark', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await page.setViewportSize(VIEWPORT);
    test.setTimeout(180_000);
    // Two names of 190 characters, snake_case, alike but for their end.
    const stem = 'quarterly_revenue_forecast_for_the_northern_european_region';
    const tag = Date.now().toString(36).padStart(8, '0');
    const [first, second] = ['a', 'b'].map(end => `${stem}_${stem}_${stem}_${tag}_${end}`);
    expect(first).toHaveLength(190);
    const path = `${tmpPath}/longname.ipynb`;
    await notebookWithJob(page, path, { name: first, cron: '0 6 * * *' });
    const made = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: path, name: second, cron: '0 7 * * *' }
    });
    expect(made.ok()).toBe(true);
    await openNotebook(page, path);
    const panel = await openSection(page, 'longname.ipynb', 'Jobs');
    const jobs = panel.getByRole('list', { name: 'Jobs' });
    await inEachTheme(page, async theme => {
      for (const name of [first, second]) {
        // at most three lines, then cut; the whole name is its tooltip
        const shown = jobs.getByRole('listitem', { name }).locator('.jp-nbtools-Jobs-name');
        await expect(shown).toHaveAttribute('title', name);
        expect(await linesShown(shown)).toEqual({ lines: 3, cut: true });
      }
      // the panel, its Package and Jobs sections
      expect(await overflowing(page, 3)).toEqual([]);
      await attachScreenshot(page, testInfo, `panel-long-name-${theme}`);
    });

    // The job page, opened by keyboard: its heading wraps, the page never scrolls sideways.
    await jobs
      .getByRole('listitem', { name: first })
      .getByRole('button', { name: 'Open page' })
      .focus();
    await page.keyboard.press('Enter');
    const heading = page
      .getByRole('article', { name: first })
      .getByRole('heading', { name: first });
    await expect(heading).toBeVisible();
    const widget = page.locator('.jp-nbtools-JobPageWidget');
    await inEachTheme(page, async theme => {
      expect(await overflowing(page, 2)).toEqual([]);
      const [title, area] = [await heading.boundingBox(), await widget.boundingBox()];
      expect(title!.x + title!.width).toBeLessThanOrEqual(area!.x + area!.width);
      await attachScreenshot(page, testInfo, `job-page-long-name-${theme}`, widget);
    });

    // The dashboard: the names wrap in their column; the other columns keep their room.
    await panel.getByRole('button', { name: 'All jobs of the project' }).click();
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tag);
    const rows = dashboard.getByRole('table', { name: 'Jobs' }).locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await inEachTheme(page, async theme => {
      for (const row of [rows.first(), rows.last()]) {
        for (const cell of await row.getByRole('cell').all()) {
          await expect(cell).toBeInViewport({ ratio: 1 });
        }
      }
      await expect(rows.first().getByRole('cell').nth(1)).toHaveText(path);
      // the dashboard, and the panel beside it
      expect(await overflowing(page, 4)).toEqual([]);
      await attachScreenshot(page, testInfo, `dashboard-long-name-${theme}`);
    });
  });

  test('a long notebook path without spaces wraps on the dashboard, cut after three lines with the whole path as its tooltip, at 1280x720 and 800x720, light and dark', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await page.setViewportSize(VIEWPORT);
    test.setTimeout(180_000);
    // A notebook's file name of 160 characters, snake_case: nowhere to wrap but anywhere.
    const stem = 'quarterly_revenue_forecast_for_the_northern_european_region';
    const tag = Date.now().toString(36).padStart(8, '0');
    const file = `${stem}_${stem}_${tag}_with_all_of_its_inputs_v2.ipynb`;
    expect(file).toHaveLength(160);
    const path = `${tmpPath}/${file}`;
    await notebookWithJob(page, path, { name: `Forecast ${tag}`, cron: '0 6 * * *' });
    await page.evaluate(() => window.jupyterapp.commands.execute('nbtools:open-jobs-dashboard'));
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tag);
    const row = dashboard.getByRole('table', { name: 'Jobs' }).locator('tbody tr');
    await expect(row).toHaveCount(1);
    const notebook = row.getByRole('cell').nth(1);
    for (const size of [
      { width: 1280, height: 720 },
      { width: 800, height: 720 }
    ]) {
      await page.setViewportSize(size);
      await inEachTheme(page, async theme => {
        // every column in view, none pushed out by the path
        await expect(row.getByRole('rowheader')).toBeInViewport({ ratio: 1 });
        for (const cell of await row.getByRole('cell').all()) {
          await expect(cell).toBeInViewport({ ratio: 1 });
        }
        // the dashboard
        expect(await overflowing(page, 1)).toEqual([]);
        // the path is whole in the page and its tooltip; three lines of it are shown, then cut
        await expect(notebook).toHaveText(path);
        const shown = notebook.getByTitle(path, { exact: true });
        await expect(shown).toHaveText(path);
        expect(await linesShown(shown)).toEqual({ lines: 3, cut: true });
        await attachScreenshot(page, testInfo, `dashboard-long-path-${size.width}-${theme}`);
      });
    }
  });

  // The test takes no fixture of its own (the page is the shared one).
  // eslint-disable-next-line no-empty-pattern
  test('short job names and notebook paths are not broken inside a word on the dashboard at 1024x700 beside the sidebar, light and dark', async ({}, testInfo) => {
    const page = lab();
    await page.setViewportSize({ width: 1024, height: 700 });
    // Names as short as `many-job` and `many.ipynb`, with a schedule in words that wants room.
    const number = String(100 + Math.floor(Math.random() * 900));
    const name = `many-${number}`;
    const path = `n${number}.ipynb`;
    await notebookWithJob(page, path, { name, cron: '0 6 * * *', timezone: 'Europe/Lisbon' });
    await page.sidebar.openTab('filebrowser');
    await page.evaluate(() => window.jupyterapp.commands.execute('nbtools:open-jobs-dashboard'));
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(name);
    const row = dashboard.getByRole('table', { name: 'Jobs' }).locator('tbody tr');
    await expect(row).toHaveCount(1);
    await expect(row.getByRole('cell').nth(1)).toHaveText(path);
    await inEachTheme(page, async theme => {
      // each on one line: the table gives their columns the room they need
      expect(await linesShown(row.getByRole('button', { name, exact: true }))).toEqual({
        lines: 1,
        cut: false
      });
      expect(await linesShown(row.getByTitle(path, { exact: true }))).toEqual({
        lines: 1,
        cut: false
      });
      expect(await overflowing(page, 1)).toEqual([]);
      await attachScreenshot(page, testInfo, `dashboard-short-names-1024-${theme}`);
    });
  });
});
