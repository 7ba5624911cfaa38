import { expect, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import { attachScreenshot, codeCell, notebookJson, openSection } from './helpers';

const NOTEBOOK = 'lineage.ipynb';

/**
 * Run the notebook once through the REST API and wait until the server's
 * scheduler has finished it.
 */
async function runOnce(page: IJupyterLabPageFixture, path: string): Promise<number> {
  const queued = await page.request.post('/nbtools/api/runs', { data: { notebook_path: path } });
  expect(queued.status()).toBe(202);
  const id = (await queued.json()).id as number;
  await expect
    .poll(async () => (await (await page.request.get(`/nbtools/api/runs/${id}`)).json()).status, {
      timeout: 90_000
    })
    .toBe('succeeded');
  return id;
}

test.describe('Lineage in the Environment section', () => {
  test('compares with the last successful run and links its version and snapshot', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180_000);
    const path = `${tmpPath}/${NOTEBOOK}`;
    const content = notebookJson([codeCell('one', 'print("hello")')]);
    expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
    expect(await page.notebook.openByPath(path)).toBe(true);
    expect(await page.notebook.activate(NOTEBOOK)).toBe(true);

    const panel = await openSection(page, NOTEBOOK, 'Environment');
    const lastRun = panel.getByTestId('nbtools-env-last-run');
    await expect(lastRun).toHaveText(
      'No successful run of this notebook recorded an environment yet.',
      { timeout: 60_000 }
    );

    const runId = await runOnce(page, path);
    await panel.getByRole('button', { name: 'Snapshot the environment again' }).click();
    await expect(lastRun).toContainText(
      `Compared with the environment of the last successful run, run ${runId}`,
      { timeout: 60_000 }
    );
    const drift = panel.getByTestId('nbtools-env-drift');
    await expect(drift).toHaveText(`No drift since run ${runId}`);
    const compare = panel.getByRole('combobox', { name: 'Snapshot to compare with' });
    await expect(compare.locator('option:checked')).toHaveText(
      new RegExp(`^Last successful run ${runId} · [0-9a-f]{12}$`)
    );
    const lineage = lastRun.getByLabel(`Lineage of run ${runId}`);
    await expect(lineage).toContainText(/notebook version 1, environment [0-9a-f]{12}/);
    await attachScreenshot(page, testInfo, 'environment-last-run');

    // The version link shows that version in the Versions section.
    await lineage.getByRole('button', { name: 'notebook version 1' }).click();
    const versions = panel.getByRole('list', { name: 'Versions' });
    await expect(versions.getByRole('button', { name: 'Version 1', exact: true })).toHaveAttribute(
      'aria-pressed',
      'true'
    );
    await attachScreenshot(page, testInfo, 'version-of-run');

    // The run link opens the executed notebook of the run.
    await lastRun.getByRole('button', { name: `run ${runId}`, exact: true }).click();
    await expect(page.activity.getTabLocator(`lineage-run-${runId}.ipynb`)).toBeVisible();
  });
});
