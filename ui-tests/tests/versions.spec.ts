import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  notification,
  openNotebook,
  openSection,
  runOnce,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';

const NOTEBOOK = 'history.ipynb';

function notebook(): string {
  return notebookJson([
    codeCell('rate', 'rate = 1'),
    { cell_type: 'markdown', id: 'notes', metadata: {}, source: '# Notes' }
  ]);
}

function openVersionsSection(page: IJupyterLabPageFixture) {
  return openSection(page, NOTEBOOK, 'Versions');
}

async function editAndSave(page: IJupyterLabPageFixture, source: string): Promise<void> {
  await page.notebook.setCell(0, 'code', source);
  await page.notebook.save();
}

/** Upload the notebook to `tmpPath` and open it (with a kernel if `kernel`, see openNotebook). */
async function openHistory(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  options: { kernel?: boolean } = {}
): Promise<void> {
  const path = `${tmpPath}/${NOTEBOOK}`;
  expect(await page.contents.uploadContent(notebook(), 'text', path)).toBe(true);
  await openNotebook(page, path, options);
}

test.describe('Versions section', () => {
  const lab = sharePage();

  test('records each save, opens the diff in the main area and restores an older version', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await openHistory(page, tmpPath);
    const panel = await openVersionsSection(page);
    const versions = panel.getByRole('list', { name: 'Versions' });

    await editAndSave(page, 'rate = 2');
    await editAndSave(page, 'rate = 3\nprint(rate)');
    const newest = versions.getByRole('button', { name: /^Version \d+$/ }).first();
    await expect(newest).toHaveAccessibleName('Version 3');
    await expect(versions.getByRole('button', { name: 'Version 1', exact: true })).toBeVisible();

    // The newest version against the previous one, in a main-area tab (never inline).
    await newest.click();
    await expect(panel.getByRole('list', { name: 'Source' })).toHaveCount(0);
    await panel.getByRole('button', { name: 'Show diff', exact: true }).click();
    const diffPage = page.getByRole('main').locator('.jp-nbtools-DiffPage');
    await expect(
      page.getByRole('tab', { name: `Diff: ${tmpPath}/${NOTEBOOK} (2 → 3)` })
    ).toBeVisible();
    await diffPage.getByRole('button', { name: 'Unified' }).click();
    const source = diffPage.getByRole('list', { name: 'Source' });
    await expect(source.getByRole('listitem', { name: 'removed: rate = 2' })).toBeVisible();
    await expect(source.getByRole('listitem', { name: 'added: rate = 3' })).toBeVisible();
    await expect(source.getByRole('listitem', { name: 'added: print(rate)' })).toBeVisible();
    await expect(diffPage.getByTestId('nbtools-diff-summary')).toHaveText(
      'Cells: 1 modified, 1 unchanged'
    );
    await expect(panel.getByRole('list', { name: 'Source' })).toHaveCount(0);
    await attachScreenshot(page, testInfo, 'versions-diff');
    await page.getByRole('tab', { name: NOTEBOOK, exact: true }).click();

    // Restore version 2: the notebook shows its content again, and nothing is lost.
    await versions.getByRole('button', { name: 'Version 2', exact: true }).click();
    await panel.getByRole('button', { name: 'Restore', exact: true }).click();
    // A success is a notification that fades, not a line left in the panel.
    await expect(notification(page, 'Restored version 2')).toContainText(
      'the previous state is kept as version 3'
    );
    await expect(panel.getByText('the previous state is kept')).toHaveCount(0);
    await expect.poll(() => page.notebook.getCellTextInput(0)).toBe('rate = 2');
    await expect(newest).toHaveAccessibleName('Version 4');
    await expect(versions.getByRole('listitem').first()).toContainText('↺ Restored version 2');
    await attachScreenshot(page, testInfo, 'versions-restored');

    await versions.getByRole('button', { name: 'Version 3', exact: true }).click();
    await panel.getByRole('button', { name: 'Show diff', exact: true }).click();
    await expect(source.getByRole('listitem', { name: 'added: rate = 3' })).toBeVisible();
    await inEachTheme(page, theme => attachScreenshot(page, testInfo, `versions-${theme}`));
  });

  test('a version says what uses it: runs, a pinned job, a package; each opens from there', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await openHistory(page, tmpPath);
    test.setTimeout(150_000);
    const path = `${tmpPath}/${NOTEBOOK}`;
    const panel = await openVersionsSection(page);
    const versions = panel.getByRole('list', { name: 'Versions' });
    await editAndSave(page, '#| export\nrate = 5'); // an nbdev directive: a package's cell
    await expect(versions.getByRole('button', { name: /^Version \d+$/ }).first()).toBeVisible();
    const history = await (await page.request.get(`/nbtools/api/versions?path=${path}`)).json();
    const { id: versionId, number } = history.versions[0] as { id: number; number: number };
    const label = `Version ${number}`; // the file as saved: what the run and the package use

    const run = await runOnce(page, path); // it executes that version (the file is unchanged)
    const job = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: path, name: 'pinned report', pinned_version_id: versionId }
    });
    expect(job.ok(), await job.text()).toBe(true);
    const jobId = (await job.json()).id as number;
    const extracted = await page.request.post('/nbtools/api/extract', {
      data: { path, dry_run: false, output: `${tmpPath}/history_pkg` }
    });
    expect(extracted.ok(), await extracted.text()).toBe(true);
    await expect // the package's lineage is recorded in the background
      .poll(
        async () =>
          (await (await page.request.get(`/nbtools/api/versions/${versionId}`)).json()).references
            .length,
        { timeout: 60_000 }
      )
      .toBe(3);

    await panel.getByRole('button', { name: 'Reload the versions' }).click();
    const used = versions.getByRole('listitem').filter({
      has: page.getByRole('button', { name: label, exact: true })
    });
    await expect(used).toContainText('used by 1 package, 1 job, 1 run');
    await versions.getByRole('button', { name: label, exact: true }).click();
    const usedBy = panel.getByRole('list', { name: `What uses version ${number}` });
    await expect(usedBy.getByRole('button')).toHaveText([
      `package ${tmpPath}/history_pkg`,
      `job ${jobId}`,
      `run ${run}`
    ]);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-Versions')).toEqual([]);
      await attachScreenshot(page, testInfo, `versions-used-by-${theme}`);
    });

    // The job's page, the package in the file browser (which takes the left area), the run's
    // output notebook (last: a notebook opened becomes the one the section follows)
    await usedBy.getByRole('button', { name: `job ${jobId}` }).click();
    await expect(page.getByRole('tab', { name: 'Job: pinned report' })).toBeVisible();
    await usedBy.getByRole('button', { name: `package ${tmpPath}/history_pkg` }).click();
    await expect(page.locator('.jp-DirListing-content')).toContainText('pyproject.toml');
    expect(await page.notebook.activate(NOTEBOOK)).toBe(true);
    await openVersionsSection(page);
    await usedBy.getByRole('button', { name: `run ${run}` }).click();
    await expect(
      page.getByRole('tab', { name: new RegExp(`history-run-${run}\\.ipynb`) })
    ).toBeVisible({ timeout: 15_000 });
  });

  test('Save version… from the keyboard: once saved, the focus is back on the button', async ({
    tmpPath
  }) => {
    const page = lab();
    await openHistory(page, tmpPath);
    const panel = await openVersionsSection(page);
    const save = panel.getByRole('button', { name: 'Save version…', exact: true });
    await save.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('textbox')).toBeFocused();
    await page.keyboard.type('baseline');
    await page.keyboard.press('Enter');
    await expect(notification(page, /^(Saved|Named) version \d+: baseline/)).toBeVisible();
    await expect(dialog).toHaveCount(0);
    // The button stayed usable while the version was saved, so it kept the focus.
    await expect(save).toBeFocused();
    await expect(save).toBeEnabled();
  });

  test('Restore from the keyboard: once restored, the focus is on the restored version', async ({
    tmpPath
  }) => {
    const page = lab();
    await openHistory(page, tmpPath);
    const panel = await openVersionsSection(page);
    const versions = panel.getByRole('list', { name: 'Versions' });
    await editAndSave(page, 'rate = 2');
    await editAndSave(page, 'rate = 3');
    const second = versions.getByRole('button', { name: 'Version 2', exact: true });
    await second.focus();
    await page.keyboard.press('Enter');
    // Restore goes with the details it is part of: the focus must not fall to the page's body.
    await panel.getByRole('button', { name: 'Restore', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect(notification(page, 'Restored version 2')).toBeVisible();
    await expect(panel.getByRole('button', { name: 'Restore', exact: true })).toHaveCount(0);
    await expect(second).toBeFocused();
    // …so Enter opens its details again, where Restore was.
    await page.keyboard.press('Enter');
    await expect(panel.getByRole('button', { name: 'Restore', exact: true })).toBeVisible();
  });

  test('Save version… says whether the save recorded a version or named the latest one', async ({
    tmpPath
  }) => {
    const page = lab();
    await openHistory(page, tmpPath, { kernel: true });
    const panel = await openVersionsSection(page);
    const latest = async (): Promise<{ number: number; message: string | null }> => {
      const path = `${tmpPath}/${NOTEBOOK}`;
      const history = await page.request.get(`/nbtools/api/versions?path=${path}&limit=1`);
      return (await history.json()).versions[0];
    };
    const saveVersion = async (message: string): Promise<void> => {
      await panel.getByRole('button', { name: 'Save version…', exact: true }).click();
      await page.getByRole('dialog').getByRole('textbox').fill(message);
      await page.keyboard.press('Enter');
    };
    // The kernel's language info in the notebook first: it arriving later would change it.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const notebook = window.jupyterapp.shell.currentWidget as unknown as {
            model: { getMetadata(key: string): { version?: string } | undefined };
          };
          return notebook.model.getMetadata('language_info')?.version !== undefined;
        })
      )
      .toBe(true);
    await editAndSave(page, 'rate = 2');
    await expect.poll(async () => (await latest()).number).toBe(2);

    // Unchanged since version 2: no new version, version 2 takes the name.
    await saveVersion('baseline');
    await expect(
      notification(page, 'Named version 2: baseline (the notebook is unchanged since')
    ).toBeVisible();
    expect(await latest()).toMatchObject({ number: 2, message: 'baseline' });

    // Changed: the save records version 3, which takes the name.
    await page.notebook.setCell(0, 'code', 'rate = 3');
    await saveVersion('tuned');
    await expect(notification(page, /^Saved version 3: tuned/)).toBeVisible();
    expect(await latest()).toMatchObject({ number: 3, message: 'tuned' });
  });

  test('File > Revert Notebook to Version… lists the versions by their numbers', async ({
    tmpPath
  }) => {
    const page = lab();
    await openHistory(page, tmpPath);
    const panel = await openVersionsSection(page);
    await editAndSave(page, 'rate = 5');
    await expect(
      panel.getByRole('list', { name: 'Versions' }).getByRole('button', { name: 'Version 2' })
    ).toBeVisible();

    await page.menu.clickMenuItem('File>Revert Notebook to Version…');
    const dialog = page.getByRole('dialog');
    const choice = dialog.getByRole('combobox');
    await expect(choice.locator('option')).toHaveText([/^Version 2 · /, /^Version 1 · /]);
    await choice.selectOption({ index: 1 }); // version 1: the notebook as uploaded
    await dialog.getByRole('button', { name: 'OK' }).click();
    const confirm = page.getByRole('dialog');
    await expect(confirm).toContainText('Revert to version 1?');
    await confirm.getByRole('button', { name: 'Revert' }).click();
    await expect.poll(() => page.notebook.getCellTextInput(0)).toBe('rate = 1');

    // JupyterLab's own Revert to Checkpoint offers one checkpoint, the last save, with no
    // number of its own to contradict the versions'.
    await page.menu.clickMenuItem('File>Revert Notebook to Checkpoint…');
    const own = page.getByRole('dialog');
    await expect(own.getByRole('combobox')).toHaveCount(0);
    await own.getByRole('button', { name: 'Cancel' }).click();
  });

  test('a failed restore is shown until the next save', async ({ tmpPath }) => {
    const page = lab();
    await openHistory(page, tmpPath);
    const panel = await openVersionsSection(page);
    await editAndSave(page, 'rate = 2');
    await page.context().route(/\/nbtools\/api\/versions\/\d+\/restore/, route =>
      route.fulfill({
        status: 409,
        json: { error: 'Conflict', message: 'The notebook changed on disk.', details: {} }
      })
    );
    const versions = panel.getByRole('list', { name: 'Versions' });
    await versions.getByRole('button', { name: 'Version 1', exact: true }).click();
    await panel.getByRole('button', { name: 'Restore', exact: true }).click();
    const failure = panel.getByRole('alert').filter({ hasText: 'The notebook changed on disk.' });
    await expect(failure).toBeVisible();
    await editAndSave(page, 'rate = 3');
    await expect(failure).toHaveCount(0);
  });

  test('a save that could not be recorded is reported', async ({ tmpPath }) => {
    const page = lab();
    // The server-side fault (a store that cannot be written) is tested in
    // tests/server/test_checkpoints.py; here, how the panel shows the report.
    await page.context().route(/\/nbtools\/api\/versions\?/, async route => {
      const response = await route.fetch();
      const body = await response.json();
      body.failure = {
        operation: 'record',
        message: 'Cannot write to the version store: No space left on device.',
        at: new Date().toISOString()
      };
      await route.fulfill({ response, json: body });
    });
    await openHistory(page, tmpPath);
    const panel = await openVersionsSection(page);
    const alert = panel.getByTestId('nbtools-versions-failure');
    await expect(alert).toContainText('The last save was not recorded as a version');
    await expect(alert).toContainText('No space left on device');
  });
});
