import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  notebookWithJob,
  openJobPage,
  openSection,
  PARAMETERS_CELL
} from './helpers';
import { test } from './fixtures';

test.use({ viewport: { width: 1280, height: 720 } });

/** Expand every section of the Production panel. */
async function expandAll(panel: Locator): Promise<void> {
  const toggles = panel
    .locator('.jp-AccordionPanel-title')
    .getByRole('button', { expanded: false });
  while ((await toggles.count()) > 0) {
    await toggles.first().click();
  }
}

/**
 * Our elements wider than their box (scrollWidth > clientWidth): the panel,
 * each section's content and, when shown, the dashboard and a job page; as readable lines.
 */
async function overflowing(page: IJupyterLabPageFixture, atLeast: number): Promise<string[]> {
  const found = await page.evaluate(() => {
    const boxes = [
      ...document.querySelectorAll<HTMLElement>(
        '#nbtools-production-panel, #nbtools-production-panel .lm-AccordionPanel > .lm-Widget:not(.jp-AccordionPanel-title), .jp-nbtools-DashboardWidget, .jp-nbtools-JobPageWidget, .jp-nbtools-JobPageWidget .jp-nbtools-JobPage'
      )
    ].filter(box => box.offsetParent !== null);
    const wide = boxes
      .filter(box => box.scrollWidth > box.clientWidth)
      .map(box => `${box.id || box.className}: ${box.scrollWidth} > ${box.clientWidth}`);
    return { measured: boxes.length, wide };
  });
  expect(found.measured).toBeGreaterThanOrEqual(atLeast);
  return found.wide;
}

/**
 * Our buttons with a label that wraps onto a second line (a text of the button laid out on
 * more than one line), as readable lines.
 */
async function wrappedButtons(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const wraps = (text: Text): boolean => {
      const range = document.createRange();
      range.selectNodeContents(text);
      return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size > 1;
    };
    return [...document.querySelectorAll<HTMLElement>('#nbtools-production-panel button')]
      .filter(button => button.offsetParent !== null)
      .filter(button => {
        const texts = document.createTreeWalker(button, NodeFilter.SHOW_TEXT);
        for (let text = texts.nextNode(); text; text = texts.nextNode()) {
          if ((text.textContent ?? '').trim() && wraps(text as Text)) {
            return true;
          }
        }
        return false;
      })
      .map(button => `${button.textContent!.trim()} (${button.getBoundingClientRect().width}px)`);
  });
}

/** Drag the left sidebar's edge all the way left: the sidebar takes its minimum width. */
async function narrowSidebar(page: IJupyterLabPageFixture): Promise<void> {
  const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle').first();
  const box = await handle.boundingBox();
  expect(box).not.toBeNull();
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
  await page.mouse.down();
  await page.mouse.move(0, box!.y + box!.height / 2, { steps: 5 });
  await page.mouse.up();
}

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
  expect(await page.notebook.openByPath(path)).toBe(true);
  expect(await page.notebook.activate(name)).toBe(true);
  const panel = await openSection(page, name, 'Jobs');
  await expandAll(panel);
  await expect(panel.getByRole('list', { name: 'Jobs' })).toContainText('A job with a long name');
  await narrowSidebar(page);

  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    }
    // the panel and its six sections
    expect(await overflowing(page, 7)).toEqual([]);
    expect(await wrappedButtons(page)).toEqual([]);
    await attachScreenshot(page, testInfo, `panel-narrow-${theme}`);
  }

  // A job's monitoring, opened, with a rule and a webhook whose address is long (on a tall
  // page, for the screenshots to show it).
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
    'averyveryverylongtoken'
  );
  for (const theme of ['dark', 'light'] as const) {
    if (theme === 'light') {
      await page.theme.setLightTheme();
    }
    expect(await overflowing(page, 7)).toEqual([]);
    expect(await wrappedButtons(page)).toEqual([]);
    await monitoring.scrollIntoViewIfNeeded();
    await attachScreenshot(page, testInfo, `monitoring-narrow-${theme}`);
  }
  await monitoring.getByRole('button', { name: 'Hide metrics and alerts' }).click();
  await page.setViewportSize({ width: 1280, height: 720 });

  await panel.getByRole('button', { name: 'All jobs of the project' }).click();
  await expect(page.locator('.jp-nbtools-Dashboard table')).toBeVisible();
  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    }
    // the dashboard (the panel and its sections too, beside it)
    expect(await overflowing(page, 8)).toEqual([]);
    await attachScreenshot(page, testInfo, `dashboard-1280x720-${theme}`);
  }
});

test('a job page holds at 1280x720, light and dark', async ({ page, tmpPath }, testInfo) => {
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

  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    }
    // the job page's widget and its article
    expect(await overflowing(page, 2)).toEqual([]);
    await attachScreenshot(page, testInfo, `job-page-1280x720-${theme}`);
  }
  await page.theme.setLightTheme();
});

test('Run now shows a spinner and is disabled until the run is queued', async ({
  page,
  tmpPath
}) => {
  const job = await notebookWithJob(
    page,
    `${tmpPath}/quick.ipynb`,
    { name: `Quick ${Date.now().toString(36)}` },
    [codeCell('a', 'x = 1')]
  );
  await openJobPage(page, job.id);
  const jobPage = page.getByRole('article', { name: job.name });
  // Hold the run request until the busy state has been seen (no timing involved).
  let release: () => void = () => undefined;
  const held = new Promise<void>(resolve => (release = resolve));
  const runUrl = (url: URL): boolean => url.pathname.endsWith(`/nbtools/api/jobs/${job.id}/run`);
  await page.route(runUrl, async route => {
    await held;
    await route.continue();
  });
  const runNow = jobPage.getByRole('button', { name: 'Run now' });
  await runNow.click();
  await expect(runNow).toBeDisabled();
  await expect(runNow.locator('.jp-nbtools-Spinner')).toBeVisible();
  release();
  await expect(runNow).toBeEnabled();
  await expect(runNow.locator('.jp-nbtools-Spinner')).toHaveCount(0);
  await expect(page.locator('.jp-toastContainer')).toContainText(`is queued`);
});
