import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import * as fs from 'fs';

import { attachScreenshot, codeCell, notebookJson, openSection } from './helpers';
import { test } from './fixtures';

const NOTEBOOK = 'env.ipynb';

function notebook(): string {
  return notebookJson([codeCell('one', 'import sys')]);
}

function openEnvironmentSection(page: IJupyterLabPageFixture) {
  return openSection(page, NOTEBOOK, 'Environment');
}

test.describe('Environment section', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    const path = `${tmpPath}/${NOTEBOOK}`;
    expect(await page.contents.uploadContent(notebook(), 'text', path)).toBe(true);
    expect(await page.notebook.openByPath(path)).toBe(true);
    expect(await page.notebook.activate(NOTEBOOK)).toBe(true);
  });

  test('shows the kernel snapshot, drift from a chosen snapshot, and downloads exports', async ({
    page
  }, testInfo) => {
    test.setTimeout(120_000);
    const panel = await openEnvironmentSection(page);

    await expect(panel.getByTestId('nbtools-env-kernel')).toHaveText('python3', {
      timeout: 30_000
    });
    const shortId = (await panel.getByTestId('nbtools-env-snapshot').textContent()) ?? '';
    expect(shortId).toMatch(/^[0-9a-f]{12}$/);
    expect(Number(await panel.getByTestId('nbtools-env-count').textContent())).toBeGreaterThan(10);

    // A snapshot that differs: the current pins with one version changed,
    // imported through the REST API as a requirements file.
    const fullId = await panel.getByTestId('nbtools-env-snapshot').getAttribute('title');
    const exported = await (
      await page.request.get(`/nbtools/api/env/snapshots/${fullId}/export?format=requirements`)
    ).json();
    const edited = (exported.content as string).replace(/^six==\S+$/m, 'six==1.0.0');
    expect(edited).toContain('six==1.0.0');
    const imported = await page.request.post('/nbtools/api/env/import', {
      data: { name: 'older-requirements.txt', content: edited }
    });
    expect(imported.status()).toBe(201);

    await panel.getByRole('button', { name: 'Snapshot the environment again' }).click();
    const compare = panel.getByRole('combobox', { name: 'Snapshot to compare with' });
    const older = compare.locator('option', { hasText: 'older-requirements.txt' });
    await expect(older).toHaveCount(1);
    await compare.selectOption((await older.getAttribute('value')) ?? '');
    const drift = panel.getByTestId('nbtools-env-drift');
    await expect(drift).toContainText('Drift: 1 upgraded');
    await expect(panel.getByRole('list', { name: 'Differences' })).toContainText(
      /~ six 1\.0\.0 -> \S+ \(upgraded\)/
    );
    await attachScreenshot(page, testInfo, 'environment-drift');

    const requirements = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Download requirements.txt' }).click();
    const file = await requirements;
    expect(file.suggestedFilename()).toBe('requirements.txt');
    expect(fs.readFileSync(await file.path(), 'utf-8')).toContain(`snapshot ${shortId}`);

    const lock = page.waitForEvent('download', { timeout: 90_000 });
    await panel.getByRole('button', { name: 'Download pylock.toml' }).click();
    const lockFile = await lock;
    expect(lockFile.suggestedFilename()).toBe('pylock.toml');
    const lockText = fs.readFileSync(await lockFile.path(), 'utf-8');
    expect(lockText).toContain('lock-version = "1.0"');
    expect(lockText).toContain('name = "six"');
    await expect(
      panel.getByRole('status').filter({ hasText: 'Downloaded pylock.toml' })
    ).toBeVisible();

    await page.theme.setDarkTheme();
    await attachScreenshot(page, testInfo, 'environment-dark');
  });

  test('a kernel that cannot be captured shows an alert', async ({ page }) => {
    await page.route(/\/nbtools\/api\/env\/snapshots(\?.*)?$/, route =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 404,
            contentType: 'application/json',
            body: JSON.stringify({
              error: 'NotFoundError',
              message: "No kernel named 'python3'. Installed kernels: none.",
              details: {}
            })
          })
        : route.continue()
    );
    const panel = await openEnvironmentSection(page);
    const alert = panel.getByTestId('nbtools-env-error');
    await expect(alert).toContainText('Could not snapshot the environment');
    await expect(alert).toContainText("No kernel named 'python3'");
  });
});
