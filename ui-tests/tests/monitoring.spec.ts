import { expect, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import { attachScreenshot, notebookJson } from './helpers';

const API = '/nbtools/api';

function code(id: string, source: string, tags: string[] = []): Record<string, unknown> {
  return {
    cell_type: 'code',
    id,
    metadata: tags.length ? { tags } : {},
    execution_count: null,
    outputs: [],
    source
  };
}

async function call<T>(
  page: IJupyterLabPageFixture,
  method: 'GET' | 'POST',
  endpoint: string,
  data?: unknown
): Promise<T> {
  const response = await page.request.fetch(`${API}/${endpoint}`, { method, data });
  expect(response.ok(), `${method} ${endpoint}: ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

/** Create a job of `path` and return its id. */
async function createJob(
  page: IJupyterLabPageFixture,
  fields: Record<string, unknown>
): Promise<number> {
  return (await call<{ id: number }>(page, 'POST', 'jobs', fields)).id;
}

/** Queue a run of the job and wait until it ends; returns its final status. */
async function runJob(
  page: IJupyterLabPageFixture,
  jobId: number,
  parameters: Record<string, unknown> = {}
): Promise<string> {
  const run = await call<{ id: number }>(page, 'POST', `jobs/${jobId}/run`, { parameters });
  let status = 'queued';
  await expect
    .poll(
      async () => {
        status = (await call<{ status: string }>(page, 'GET', `runs/${run.id}`)).status;
        return ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(status);
      },
      { timeout: 60_000 }
    )
    .toBe(true);
  return status;
}

test('a failed run raises an alert in the Production panel, acknowledged there', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(120_000);
  const path = `${tmpPath}/broken.ipynb`;
  const content = notebookJson([code('body', "raise RuntimeError('no data today')")]);
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
  const jobId = await createJob(page, { name: 'broken', notebook_path: path });
  await call(page, 'POST', `jobs/${jobId}/rules`, { text: 'failed' });
  expect(await runJob(page, jobId)).toBe('failed');

  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-alerts' });
  });
  const panel = page.getByRole('region', { name: 'Production', exact: true });
  const alerts = panel.getByRole('list', { name: 'Open alerts' });
  const item = alerts.getByRole('listitem').filter({ hasText: /Run \d+ failed\./ });
  await expect(item).toBeVisible();
  await expect(item).toContainText(`Job ${jobId} · run`);
  await attachScreenshot(page, testInfo, 'alerts');
  await page.theme.setDarkTheme();
  await attachScreenshot(page, testInfo, 'alerts-dark');

  await item.getByRole('button', { name: /^Acknowledge alert \d+$/ }).click();
  await expect(item).toHaveCount(0);
  expect(await call(page, 'GET', `alerts?job=${jobId}&status=open`)).toEqual([]);
});
