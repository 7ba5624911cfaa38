import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import * as fs from 'fs';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  notification,
  openNotebook,
  openSection,
  runFromPalette,
  violations
} from './helpers';
import { kernelWithSixTwice } from './serverState';
import { sharePage, test } from './fixtures';

const NOTEBOOK = 'env.ipynb';

function notebook(): string {
  return notebookJson([codeCell('one', 'import sys')]);
}

function openEnvironmentSection(page: IJupyterLabPageFixture) {
  return openSection(page, NOTEBOOK, 'Environment');
}

/** Upload the notebook to `tmpPath` and open it, its kernel started. */
async function openEnv(page: IJupyterLabPageFixture, tmpPath: string): Promise<void> {
  const path = `${tmpPath}/${NOTEBOOK}`;
  expect(await page.contents.uploadContent(notebook(), 'text', path)).toBe(true);
  await openNotebook(page, path, { kernel: true });
}

test.describe('Environment section', () => {
  const lab = sharePage();

  test('shows the kernel snapshot, drift from a chosen snapshot, and downloads exports', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await openEnv(page, tmpPath);
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
    // which index its files come from: the server's (its pip's, PyPI unless configured)
    await expect(
      panel
        .getByRole('status')
        .filter({ hasText: /Downloaded pylock\.toml, its files from https?:\/\/[^\s;]+/ })
    ).toBeVisible();

    await inEachTheme(page, theme => attachScreenshot(page, testInfo, `environment-${theme}`));
  });

  test('the palette command shows its progress, then the snapshot', async ({ tmpPath }) => {
    const page = lab();
    // The capture waits until the progress notification has been seen, so the test never
    // depends on how fast the kernel's interpreter answers.
    let release: () => void = () => undefined;
    const seen = new Promise<void>(resolve => (release = resolve));
    await page.context().route(/\/nbtools\/api\/env\/snapshots(\?.*)?$/, async route => {
      if (route.request().method() === 'POST') {
        await seen;
      }
      await route.continue();
    });
    await openEnv(page, tmpPath);
    await runFromPalette(page, 'Snapshot Environment');
    await expect(
      notification(page, 'Snapshotting the environment of kernel python3')
    ).toBeVisible();
    release();
    const done = notification(page, /^Snapshot [0-9a-f]{12} of kernel python3: \d+ packages/);
    await expect(done).toBeVisible({ timeout: 60_000 });
    const panel = page.getByRole('region', { name: 'Production', exact: true });
    const shortId = (await panel.getByTestId('nbtools-env-snapshot').textContent()) ?? '';
    await expect(done).toContainText(`Snapshot ${shortId} of kernel python3`);
  });

  test('Recreate asks first, then reports its progress and the result', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(240_000);
    // A snapshot pinning nothing: recreating it makes a bare venv, quickly and offline.
    const imported = await page.request.post('/nbtools/api/env/import', {
      data: { name: 'empty-requirements.txt', content: '# nothing pinned\n' }
    });
    expect(imported.status()).toBe(201);
    const empty = await imported.json();
    await openEnv(page, tmpPath);
    const panel = await openEnvironmentSection(page);
    const compare = panel.getByRole('combobox', { name: 'Snapshot to compare with' });
    await expect(compare.locator('option', { hasText: 'empty-requirements.txt' })).toHaveCount(1, {
      timeout: 60_000
    });
    await compare.selectOption(empty.id);
    await expect(panel.getByTestId('nbtools-env-drift')).toBeVisible();

    // Cancelled: nothing is created.
    const folder = `${tmpPath}/venv-${empty.short_id}`;
    await panel.getByRole('button', { name: 'Recreate…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(`Recreate environment ${empty.short_id}?`);
    await expect(dialog).toContainText(
      `installs the 0 packages pinned by snapshot ${empty.short_id} (empty-requirements.txt)`
    );
    await expect(dialog.getByRole('textbox')).toHaveValue(folder);
    await attachScreenshot(page, testInfo, 'environment-recreate-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    expect(await page.contents.directoryExists(folder)).toBe(false);

    // Confirmed: a progress notification, then the result. (The recreate, not the dialog's
    // check of the folder before it closes, waits until the notification has been seen.)
    let release: () => void = () => undefined;
    const seen = new Promise<void>(resolve => (release = resolve));
    await page.context().route(/\/nbtools\/api\/env\/recreate(\?.*)?$/, async route => {
      if (!route.request().postDataJSON().dry_run) {
        await seen;
      }
      await route.continue();
    });
    await runFromPalette(page, 'Recreate Environment…');
    await dialog.getByRole('button', { name: 'Recreate' }).click();
    await expect(
      notification(page, `Recreating snapshot ${empty.short_id} in venv-${empty.short_id}`)
    ).toBeVisible();
    release();
    await expect(
      notification(
        page,
        `Recreated snapshot ${empty.short_id} in venv-${empty.short_id}: 0 packages installed, verified.`
      )
    ).toBeVisible({ timeout: 180_000 });
    expect(await page.contents.directoryExists(folder)).toBe(true);

    // The same folder again: refused under the field before anything starts; the dialog stays.
    await panel.getByRole('button', { name: 'Recreate…' }).click();
    await dialog.getByRole('button', { name: 'Recreate' }).click();
    await expect(dialog.getByRole('textbox')).toHaveAccessibleDescription(
      /exists and is not an empty directory/
    );
    await attachScreenshot(page, testInfo, 'environment-recreate-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(notification(page, `Could not recreate snapshot ${empty.short_id}`)).toHaveCount(
      0
    );
  });

  test('a folder the server refuses is told under its field, and the dialog stays open', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await openEnv(page, tmpPath);
    // Every recreate request sent: only the dialog's checks (dry runs) may be among them.
    const dryRuns: boolean[] = [];
    page.on('request', request => {
      if (/\/nbtools\/api\/env\/recreate(\?.*)?$/.test(request.url())) {
        dryRuns.push(request.postDataJSON().dry_run === true);
      }
    });
    expect(await page.contents.uploadContent('keep', 'text', `${tmpPath}/taken/keep.txt`)).toBe(
      true
    );
    const panel = await openEnvironmentSection(page);
    await expect(panel.getByTestId('nbtools-env-snapshot')).toBeVisible({ timeout: 60_000 });
    await panel.getByRole('button', { name: 'Recreate…' }).click();
    const dialog = page.getByRole('dialog');
    const folder = dialog.getByRole('textbox');
    const recreate = dialog.getByRole('button', { name: 'Recreate' });
    await inEachTheme(page, async theme => {
      // By keyboard: a folder outside the server root, sent with Enter.
      await folder.fill('../outside-venv');
      await page.keyboard.press('Enter');
      await expect(folder).toHaveAttribute('aria-invalid', 'true');
      await expect(folder).toHaveAccessibleDescription(/contains '\.\.': give a path inside/);
      await expect(folder).toBeFocused();
      await expect(folder).toHaveValue('../outside-venv');
      // A folder that exists and is not empty, sent with the button.
      await folder.fill(`${tmpPath}/taken`);
      await expect(folder).toHaveAttribute('aria-invalid', 'false');
      await recreate.click();
      await expect(folder).toHaveAccessibleDescription(/exists and is not an empty directory/);
      await expect(folder).toBeFocused();
      await expect(dialog).toContainText('Folder of the new environment');
      expect(await violations(page, testInfo, '.jp-Dialog')).toEqual([]);
      await attachScreenshot(page, testInfo, `environment-recreate-folder-${theme}`, dialog);
    });
    // Changed, the folder is no longer the refused one; empty, Recreate is disabled.
    await page.keyboard.type('-new');
    await expect(folder).toHaveAttribute('aria-invalid', 'false');
    await expect(folder).not.toHaveAccessibleDescription(/not an empty directory/);
    await folder.fill('');
    await expect(recreate).toBeDisabled();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    expect(dryRuns).toEqual([true, true, true, true]);
    expect(await page.contents.directoryExists(`${tmpPath}/taken-new`)).toBe(false);
  });

  test('a package whose metadata is there twice is marked with both directories, light and dark', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const six = await kernelWithSixTwice(page, tmpPath);
    try {
      const path = `${tmpPath}/${NOTEBOOK}`;
      const notebook = notebookJson([codeCell('one', 'import sys')], six.name);
      expect(await page.contents.uploadContent(notebook, 'text', path)).toBe(true);
      await openNotebook(page, path, { kernel: true });
      const panel = await openEnvironmentSection(page);
      await expect(panel.getByTestId('nbtools-env-kernel')).toHaveText(six.name, {
        timeout: 60_000
      });
      const twice = panel.getByRole('list', { name: 'Packages installed twice' });
      await expect(twice.getByRole('listitem')).toHaveCount(1, { timeout: 60_000 });
      const item = twice.getByRole('listitem');
      // What a screen reader reads: the warning, the package, both directories, what to do.
      // The kernel reads the one its folder's listing gives first: either of the two.
      const [first, second] = six.versions;
      const firstRead = (await item.textContent())!.includes(`six-${first}.dist-info (read`);
      const [read, other] = firstRead ? [first, second] : [second, first];
      await expect(item).toHaveText(
        `Warning: six ${read} ${six.folder} holds 2 metadata directories of it: ` +
          `six-${read}.dist-info (read by the kernel: its version is the one shown) and ` +
          `six-${other}.dist-info, so its files may mix their versions. Remove the directory ` +
          'of the version not wanted, then reinstall the other ' +
          `(pip install --force-reinstall six==${read}).`
      );
      await expect(item.locator('.jp-nbtools-WarningSign svg')).toBeVisible();
      await inEachTheme(page, async theme => {
        expect(await violations(page, testInfo)).toEqual([]);
        // wrapped inside the section, never wider than it
        expect(await twice.evaluate(list => list.scrollWidth <= list.clientWidth)).toBe(true);
        await attachScreenshot(page, testInfo, `environment-installed-twice-${theme}`, panel);
      });
    } finally {
      await six.remove();
    }
  });

  test('a kernel that cannot be captured shows an alert', async ({ tmpPath }) => {
    const page = lab();
    await page.context().route(/\/nbtools\/api\/env\/snapshots(\?.*)?$/, route =>
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
    await openEnv(page, tmpPath);
    const panel = await openEnvironmentSection(page);
    const alert = panel.getByTestId('nbtools-env-error');
    await expect(alert).toContainText('Could not snapshot the environment');
    await expect(alert).toContainText("No kernel named 'python3'");
  });
});
