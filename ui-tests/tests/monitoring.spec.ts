import { expect, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { TestInfo } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * Raise a real alert in the server's store: a failed run under the rule
 * `failed`, evaluated as after a run (see seed_monitoring.py).
 */
async function seedFailedRun(
  page: IJupyterLabPageFixture,
  jobId: number,
  runId: number
): Promise<void> {
  const status = await page.request.get('/nbtools/api/status');
  expect(status.ok()).toBe(true);
  const { root } = (await status.json()) as { root: string };
  execFileSync('python', [
    path.resolve(__dirname, '..', 'seed_monitoring.py'),
    root,
    String(jobId),
    String(runId)
  ]);
}

async function attachScreenshot(
  page: IJupyterLabPageFixture,
  testInfo: TestInfo,
  name: string
): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

test('open alerts show in the Production panel and are acknowledged', async ({
  page
}, testInfo) => {
  const jobId = 900 + Math.floor(Math.random() * 1000);
  await seedFailedRun(page, jobId, jobId * 10);

  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-alerts' });
  });
  const panel = page.getByRole('region', { name: 'Production', exact: true });
  const alerts = panel.getByRole('list', { name: 'Open alerts' });
  const item = alerts.getByRole('listitem').filter({ hasText: `Run ${jobId * 10} failed.` });
  await expect(item).toBeVisible();
  await expect(item).toContainText(`Job ${jobId} · run ${jobId * 10} · rule failed`);
  await attachScreenshot(page, testInfo, 'alerts');
  await page.theme.setDarkTheme();
  await attachScreenshot(page, testInfo, 'alerts-dark');

  await item.getByRole('button', { name: /^Acknowledge alert \d+$/ }).click();
  await expect(item).toHaveCount(0);

  const open = await page.request.get(`/nbtools/api/alerts?job=${jobId}&status=open`);
  expect(await open.json()).toEqual([]);
});
