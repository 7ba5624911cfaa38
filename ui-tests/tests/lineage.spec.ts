import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  notebookJson,
  openNotebook,
  openSection,
  runOnce
} from './helpers';
import { sharePage, test } from './fixtures';

const NOTEBOOK = 'lineage.ipynb';

test.describe('Lineage', () => {
  const lab = sharePage();

  test('compares with the last successful run and links its version and snapshot', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const path = `${tmpPath}/${NOTEBOOK}`;
    const content = notebookJson([codeCell('one', 'print("hello")')]);
    expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
    await openNotebook(page, path);

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

  test('the Jobs run view links each run to its version and snapshot, and reproduces it', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const name = 'repro.ipynb';
    const path = `${tmpPath}/${name}`;
    const version = (body: string) => notebookJson([codeCell('one', body)]);
    expect(await page.contents.uploadContent(version('print("old")'), 'text', path)).toBe(true);
    const runId = await runOnce(page, path);
    // The notebook changes on disk after the run.
    const saved = await page.request.put(`/api/contents/${path}`, {
      data: { type: 'notebook', format: 'json', content: JSON.parse(version('print("new")')) }
    });
    expect(saved.ok()).toBe(true);
    await openNotebook(page, path);

    const panel = await openSection(page, name, 'Jobs');
    const runs = panel.getByRole('list', { name: 'Runs' });
    const original = runs.getByRole('listitem', { name: `Run ${runId}`, exact: true });
    const lineage = original.getByLabel(`Lineage of run ${runId}`);
    await expect(lineage).toHaveText(/^notebook version 1, environment [0-9a-f]{12}$/, {
      timeout: 30_000
    });

    await original.getByRole('button', { name: 'Reproduce' }).click();
    const reproduction = runs.getByRole('listitem').first();
    await expect(reproduction).not.toHaveAccessibleName(`Run ${runId}`);
    await expect(reproduction.getByTestId('nbtools-run-status')).toHaveText('succeeded', {
      timeout: 60_000
    });
    await expect(reproduction).toContainText(
      new RegExp(
        `notebook version 1 \\(pinned\\), environment [0-9a-f]{12} · reproduces run ${runId}`
      )
    );
    await attachScreenshot(page, testInfo, 'jobs-run-lineage');
    await reproduction.getByRole('button', { name: 'Open output' }).click();
    await expect(page.getByRole('tab', { name: /repro-run-\d+\.ipynb/ })).toBeVisible({
      timeout: 15_000
    });
    await expect(page.getByText('old', { exact: true })).toBeVisible();

    // The environment link compares the kernel with the run's snapshot.
    await expect(page.notebook.activate(name)).resolves.toBe(true);
    const shortId = ((await lineage.textContent()) ?? '').slice(-12);
    await lineage.getByRole('button', { name: `environment ${shortId}` }).click();
    const compare = panel.getByRole('combobox', { name: 'Snapshot to compare with' });
    await expect(compare.locator('option:checked')).toContainText(shortId, { timeout: 60_000 });
    await expect(panel.getByTestId('nbtools-env-drift')).toContainText('No drift');
  });
});
