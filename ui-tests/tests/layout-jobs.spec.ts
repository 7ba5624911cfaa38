import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openJobPage,
  openNotebook,
  openSection,
  parametersCell,
  RECURRING,
  violations
} from './helpers';
import { narrowSidebar, overflowing, placeholderFits, wrappedButtons } from './layoutChecks';
import { targetStoredByAnOlderNbtools } from './serverState';
import { test } from './fixtures';

/** A window a laptop gives JupyterLab, the sidebar dragged to its minimum width beside it. */
const VIEWPORT = { width: 1280, height: 720 };

/** Run job `jobId` once with `parameters` through the REST API and wait until it succeeded. */
async function runJob(
  page: IJupyterLabPageFixture,
  jobId: number,
  parameters: Record<string, unknown>
): Promise<void> {
  const queued = await page.request.post(`/nbtools/api/jobs/${jobId}/run`, {
    data: { parameters }
  });
  expect(queued.ok()).toBe(true);
  const id = (await queued.json()).id as number;
  await expect
    .poll(async () => (await (await page.request.get(`/nbtools/api/runs/${id}`)).json()).status, {
      timeout: 90_000
    })
    .toBe('succeeded');
}

/** The labels of `within` (its `label` elements and headings) that are not wholly in view. */
async function labelsCut(within: Locator): Promise<string[]> {
  return within.evaluate(node => {
    const box = node.getBoundingClientRect();
    return [...node.querySelectorAll<HTMLElement>('label, h2, h3, h4, legend, dt')]
      .filter(label => label.offsetParent !== null)
      .filter(label => {
        const own = label.getBoundingClientRect();
        return (
          own.left < box.left - 1 ||
          own.right > box.right + 1 ||
          label.scrollWidth > label.clientWidth + 1
        );
      })
      .map(label => (label.textContent ?? '').trim().slice(0, 60));
  });
}

test.describe('Layout beside a narrowed sidebar: job form, job page and Monitoring', () => {
  // Its own page: the sidebar dragged to its minimum width stays so.
  test.use({ viewport: VIEWPORT });

  test("at the sidebar's 250 px the Monitoring section, the job form and the job page hold, labels whole, light and dark", async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(240_000);
    const name = 'a-notebook-with-a-rather-long-name-for-its-folder.ipynb';
    const path = `${tmpPath}/${name}`;
    const notebook = notebookJson([
      parametersCell('accuracy = 0.95\nregion = "south"'),
      codeCell(
        'record',
        'from nbtools import record\nrecord("accuracy_of_the_holdout_set", accuracy)'
      )
    ]);
    expect(await page.contents.uploadContent(notebook, 'text', path)).toBe(true);
    const created = await page.request.post('/nbtools/api/jobs', {
      data: {
        notebook_path: path,
        name: 'A monitored job with a long name that has to wrap in a narrow sidebar',
        parameters: { accuracy: 0.95, region: 'south-south-west-by-the-long-coast-and-further' },
        cron: '15 6 * * 1-5',
        timezone: 'America/Argentina/Buenos_Aires'
      }
    });
    expect(created.ok()).toBe(true);
    const job = (await created.json()) as { id: number; name: string };
    for (const accuracy of [0.95, 0.8]) {
      await runJob(page, job.id, { accuracy });
    }
    for (const text of ['accuracy_of_the_holdout_set drops > 5% over 5', 'acuracy < 0.5']) {
      const rule = await page.request.post(`/nbtools/api/jobs/${job.id}/rules`, { data: { text } });
      expect(rule.ok()).toBe(true);
    }
    const hook = await page.request.post(`/nbtools/api/jobs/${job.id}/notifications`, {
      data: {
        channel: 'webhook',
        destination: 'https://hooks.example.org/services/T0000000/B0000000/averyveryverylongtoken',
        events: ['failure', 'alert']
      }
    });
    expect(hook.ok()).toBe(true);
    await targetStoredByAnOlderNbtools(page, job.id, 'a-team-with-a-long-address@example.org;x');

    await openNotebook(page, path);
    const panel = await openSection(page, name, 'Jobs');
    await narrowSidebar(page);
    const sidebar = await page
      .locator('#nbtools-production-panel')
      .evaluate(node => node.getBoundingClientRect().width);
    expect(sidebar).toBeLessThanOrEqual(250);

    // The Monitoring section, opened, on a tall page for the screenshots to show it: a chart,
    // rules with warnings, a long webhook and a target an older nbtools stored.
    await page.setViewportSize({ width: VIEWPORT.width, height: 1800 });
    const monitoring = panel.getByRole('region', { name: `Monitoring of ${job.name}` });
    await monitoring.getByRole('button', { name: 'Metrics and alerts' }).click();
    await expect(monitoring.getByRole('list', { name: 'Notification targets' })).toContainText(
      'Never sent to'
    );
    await expect(
      monitoring.getByRole('table', { name: 'accuracy_of_the_holdout_set over 2 runs' })
    ).toHaveCount(1);
    await inEachTheme(page, async theme => {
      // the panel and its sections: never a sideways scroll (the chart's table for screen
      // readers made the Jobs section 314 px wide in a 250 px sidebar)
      expect.soft(await overflowing(page, 3)).toEqual([]);
      expect.soft(await wrappedButtons(page)).toEqual([]);
      expect.soft(await labelsCut(monitoring)).toEqual([]);
      // the new rule's example whole (it was cut: 'e.g. accuracy drops > 5')
      const rule = monitoring.getByRole('textbox', { name: 'New alert rule' });
      expect.soft(await placeholderFits(rule)).toBe(true);
      expect.soft(await violations(page, testInfo, '.jp-nbtools-JobMonitoring')).toEqual([]);
      await monitoring.scrollIntoViewIfNeeded();
      await attachScreenshot(page, testInfo, `monitoring-250-${theme}`, panel);
      await monitoring.getByRole('list', { name: 'Notification targets' }).scrollIntoViewIfNeeded();
      await attachScreenshot(page, testInfo, `monitoring-targets-250-${theme}`, panel);
    });

    // The job form and the job page, main-area tabs beside the narrow sidebar, in a window of
    // 1280 px and of 800 px (their tab then about 480 px wide).
    await panel.getByRole('button', { name: 'Create job' }).click();
    const form = page.getByRole('form', { name: 'Create job' });
    // recurring: the schedule's fields shown too
    await form.getByRole('radio', { name: RECURRING }).check();
    await expect(form.getByRole('combobox', { name: 'Time zone' })).toBeVisible();
    await openJobPage(page, job.id);
    const jobPage = page.getByRole('article', { name: job.name });
    await expect(jobPage.getByRole('table', { name: 'Parameters' })).toContainText('south');
    const formTab = page.getByRole('tab', { name: `New job: ${name}` });
    const pageTab = page.getByRole('tab', { name: `Job: ${job.name}` });
    for (const width of [VIEWPORT.width, 800]) {
      await page.setViewportSize({ width, height: VIEWPORT.height });
      for (const [shown, tab, what] of [
        [form, formTab, 'job-form'],
        [jobPage, pageTab, 'job-page']
      ] as const) {
        await tab.click();
        await expect(shown).toBeVisible();
        await inEachTheme(page, async theme => {
          expect.soft(await overflowing(page, 3)).toEqual([]);
          expect.soft(await labelsCut(shown)).toEqual([]);
          await attachScreenshot(page, testInfo, `${what}-${width}-${theme}`);
        });
      }
    }
  });
});
