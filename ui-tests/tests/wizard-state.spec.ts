import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture, JupyterLabPage } from '@jupyterlab/galata';
import type { Locator, Request } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  notebookJson,
  openSection,
  productionPanel,
  violations
} from './helpers';
import { test } from './fixtures';

/** A notebook whose one exported cell makes a small package. */
function exported(name: string): string {
  return notebookJson([
    codeCell('fn', `def ${name}():\n    return 1`),
    codeCell('use', `${name}()`)
  ]);
}

async function upload(page: IJupyterLabPageFixture, path: string, content: string): Promise<void> {
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
}

/** A workspace save that records `output` as the package folder of the notebook at `path`. */
function savesWizard(request: Request, path: string, output: string): boolean {
  if (request.method() !== 'PUT' || !request.url().includes('/api/workspaces')) {
    return false;
  }
  const saved = request.postDataJSON()?.data?.['jupyterlab-nbtools:productionize'];
  return saved?.notebooks?.[path]?.options?.output === output;
}

/**
 * Click the wizard's "Write and test" and return the dialog it opens, past the "Save the
 * notebook first?" one if JupyterLab marked the notebook changed again (it may, after a save).
 */
async function writeAsked(page: IJupyterLabPageFixture, panel: Locator): Promise<Locator> {
  await panel.getByRole('button', { name: 'Write and test', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  const saveFirst = dialog.getByRole('button', { name: 'Save and write' });
  if (await saveFirst.isVisible()) {
    await saveFirst.click();
    await expect(dialog).not.toContainText('Save the notebook first?');
    await expect(dialog).toBeVisible();
  }
  return dialog;
}

/** Show the notebook at `path`: switch to its tab, or open it. */
async function show(page: IJupyterLabPageFixture, path: string): Promise<void> {
  const name = path.split('/').pop()!;
  if (!(await page.notebook.isOpen(name))) {
    expect(await page.notebook.openByPath(path)).toBe(true);
  }
  expect(await page.notebook.activate(name)).toBe(true);
}

/** Make the open notebook at `path` the current tab (two open notebooks may share a name). */
async function switchTo(page: IJupyterLabPageFixture, path: string): Promise<void> {
  await page.evaluate(file => {
    const app = window.jupyterapp;
    const tab = Array.from(app.shell.widgets('main')).find(
      widget => (widget as unknown as { context?: { path: string } }).context?.path === file
    );
    if (!tab) {
      throw new Error(`${file} is not open`);
    }
    app.shell.activateById(tab.id);
  }, path);
}

test.describe('Package wizard of each notebook', () => {
  test('keeps each notebook its own options, and asks before replacing another notebook’s package', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(300_000);
    await upload(page, `${tmpPath}/first.ipynb`, exported('one'));
    await upload(page, `${tmpPath}/second.ipynb`, exported('two'));
    await show(page, `${tmpPath}/second.ipynb`);
    await show(page, `${tmpPath}/first.ipynb`);
    let panel = await openSection(page, 'first.ipynb', 'Package');
    const exportFirst = panel.getByRole('button', { name: 'export cell 1', exact: true });
    await exportFirst.click();
    await panel.getByRole('button', { name: '2. Options' }).click();
    const output = panel.getByRole('textbox', { name: 'Output directory' });
    await output.fill(`${tmpPath}/shared`);

    // Unsaved changes (the new tag): the wizard asks to save first.
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await panel.getByRole('button', { name: 'Write and test', exact: true }).click();
    const saveFirst = page.getByRole('dialog');
    await expect(saveFirst).toContainText('has unsaved changes');
    await saveFirst.getByRole('button', { name: 'Save and write' }).click();
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText('Written to', {
      timeout: 60_000
    });

    // The second notebook starts at its own first step, with its own options.
    await show(page, `${tmpPath}/second.ipynb`);
    await expect(panel.getByRole('button', { name: '1. Tags' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await panel.getByRole('button', { name: 'export cell 1', exact: true }).click();
    await page.notebook.save();
    await panel.getByRole('button', { name: '2. Options' }).click();
    await expect(output).toHaveValue('');
    await output.fill(`${tmpPath}/shared`);
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await panel.getByRole('button', { name: 'Write and test', exact: true }).click();
    const replace = page.getByRole('dialog');
    await expect(replace).toContainText('Replace the package of first.ipynb?');
    await attachScreenshot(page, testInfo, 'wizard-replace-dialog');
    await expect(panel.getByRole('alert')).toHaveCount(0); // the dialog asks, not --force
    await replace.getByRole('button', { name: 'Keep it' }).click();
    await expect(panel.getByRole('alert')).toContainText(
      `Not written: the output directory ${tmpPath}/shared holds the package of first.ipynb. Choose another output directory in Options.`
    );
    // The folder still holds the first notebook's package (its manifest is a hidden file,
    // which the contents API does not serve; the project file names the package).
    const project = await page.request.get(
      `/api/contents/${tmpPath}/shared/pyproject.toml?type=file&format=text&content=1`
    );
    expect(project.ok()).toBe(true);
    expect((await project.json()).content).toContain('name = "first"');

    // A new choice of folder makes the refusal stale.
    await panel.getByRole('button', { name: '2. Options' }).click();
    const saved = page.waitForRequest(request =>
      savesWizard(request, `${tmpPath}/second.ipynb`, `${tmpPath}/second-pkg`)
    );
    await output.fill(`${tmpPath}/second-pkg`);
    await expect(panel.getByRole('alert')).toHaveCount(0);
    await saved;

    // After a reload, each notebook is where the user left it.
    // Galata's reload waits for the Launcher to be the active tab; here a notebook is. (The
    // fixture is a proxy over JupyterLabPage, whose reload takes waitForIsReady; the
    // fixture's type names Playwright's reload.)
    await (page as unknown as JupyterLabPage).reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    // Two things switch tabs after the splash is gone: the shell makes the saved current
    // tab active once every restorer is done, and the file browser then opens the notebook
    // named in the page's address (the active one's), which activates it again. A tab
    // clicked before both is switched away from (CI saw the first notebook's panel hidden,
    // or the second notebook's options shown, here); the file browser is marked as
    // restoring until it has opened the address's notebook.
    await page.waitForFunction(() => window.jupyterapp !== undefined);
    await page.evaluate(() => window.jupyterapp.restored);
    await expect(page.locator('.jp-FileBrowser.jp-mod-restoring')).toHaveCount(0);
    await expect(page.getByRole('main').getByRole('tab', { name: 'second.ipynb' })).toHaveAttribute(
      'aria-selected',
      'true'
    );
    await show(page, `${tmpPath}/first.ipynb`);
    panel = await openSection(page, 'first.ipynb', 'Package');
    await expect(panel.getByRole('button', { name: '4. Write and test' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await panel.getByRole('button', { name: '2. Options' }).click();
    await expect(output).toHaveValue(`${tmpPath}/shared`);
    await show(page, `${tmpPath}/second.ipynb`);
    await expect(output).toHaveValue(`${tmpPath}/second-pkg`);
  });

  test('a renamed notebook is offered its old package, and updates it under its import name', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180_000);
    const tagged = notebookJson([
      { ...codeCell('fn', 'def report():\n    return 1'), metadata: { tags: ['export'] } },
      codeCell('use', 'report()')
    ]);
    await upload(page, `${tmpPath}/report.ipynb`, tagged);
    // as `nbtools extract report.ipynb -o packages/report` does
    const written = await page.request.post('/nbtools/api/extract', {
      data: {
        path: `${tmpPath}/report.ipynb`,
        output: `${tmpPath}/packages/report`,
        dry_run: false
      }
    });
    expect(written.ok(), await written.text()).toBe(true);
    expect(
      await page.contents.renameFile(`${tmpPath}/report.ipynb`, `${tmpPath}/quarterly.ipynb`)
    ).toBe(true);
    await show(page, `${tmpPath}/quarterly.ipynb`);
    const panel = await openSection(page, 'quarterly.ipynb', 'Package');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const summary = panel.getByTestId('nbtools-preview-summary');
    await expect(summary).toHaveText(`Package quarterly in ${tmpPath}/quarterly`);
    const note = panel.getByRole('note', { name: `${tmpPath}/packages/report holds the package` });
    await expect(note).toContainText(`of ${tmpPath}/report.ipynb, which no longer exists`);
    await attachScreenshot(page, testInfo, 'wizard-renamed-notebook-note', panel);
    expect(await violations(page, testInfo)).toEqual([]);
    await page.theme.setDarkTheme();
    expect(await violations(page, testInfo)).toEqual([]);
    await page.theme.setLightTheme();

    // One click: the preview is of that package, under its import name.
    await note.getByRole('button', { name: `Use ${tmpPath}/packages/report` }).click();
    await expect(summary).toHaveText(`Package report in ${tmpPath}/packages/report`);
    await expect(note).toHaveCount(0);
    await panel.getByRole('button', { name: '2. Options' }).click();
    await expect(panel.getByRole('textbox', { name: 'Output directory' })).toHaveValue(
      `${tmpPath}/packages/report`
    );
    await expect(panel.getByRole('textbox', { name: 'Package name' })).toHaveValue('report');

    // Writing asks once, in words that fit a renamed notebook, then updates that package.
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    const update = await writeAsked(page, panel);
    await expect(update).toContainText('Update the package of report.ipynb?');
    await expect(update).toContainText('report.ipynb no longer exists');
    await expect(panel.getByRole('alert')).toHaveCount(0); // no --force advice behind it
    await attachScreenshot(page, testInfo, 'wizard-renamed-notebook-dialog');
    await update.getByRole('button', { name: 'Update it' }).click();
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${tmpPath}/packages/report.`,
      { timeout: 60_000 }
    );
    expect(await page.contents.directoryExists(`${tmpPath}/quarterly`)).toBe(false);
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(summary).toHaveText(`Package report in ${tmpPath}/packages/report`);
    await expect(panel.getByRole('note')).toHaveCount(0); // its own package now
  });

  test('a write answers the notebook it was asked for, even after a switch to another of the same name', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(240_000);
    const [first, second] = [`${tmpPath}/c/report.ipynb`, `${tmpPath}/d/report.ipynb`];
    const tagged = (name: string) =>
      notebookJson([
        { ...codeCell('fn', `def ${name}():\n    return 1`), metadata: { tags: ['export'] } }
      ]);
    await upload(page, first, tagged('from_c'));
    await upload(page, second, tagged('from_d'));
    // The first notebook's calls wait until the test lets them go. (ServerConnection appends a
    // cache-busting query string to the address.)
    const extract = /\/nbtools\/api\/extract(\?.*)?$/;
    let release = (): void => undefined;
    const held = new Promise<void>(resolve => (release = resolve));
    await page.route(extract, async route => {
      if (route.request().postDataJSON()?.path === first) {
        await held;
      }
      await route.continue();
    });
    // Opened as openNotebook does, but not activated by file name: two tabs have that name.
    for (const path of [second, first]) {
      await page.evaluate(async file => {
        const widget = (await window.jupyterapp.commands.execute('docmanager:open', {
          path: file
        })) as { context: { ready: Promise<void> } };
        await widget.context.ready;
      }, path);
    }
    await switchTo(page, first);
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-productionize' })
    );
    const panel = productionPanel(page);
    // Two notebooks named report.ipynb are open: the heading names each by its path.
    const heading = panel.getByTestId('nbtools-active-notebook');
    await expect(heading).toHaveText(first);
    await expect(heading).toHaveAttribute('title', first);

    // Write the first notebook's package, by keyboard; its write is held.
    await panel.getByRole('button', { name: '4. Write and test' }).press('Enter');
    const write = panel.getByRole('button', { name: 'Write and test', exact: true });
    await write.press('Enter');
    const saveFirst = page.getByRole('dialog').getByRole('button', { name: 'Save and write' });
    const writing = panel.getByRole('status').filter({ hasText: 'Writing the package' });
    await expect(saveFirst.or(writing)).toBeVisible();
    if (await saveFirst.isVisible()) {
      await saveFirst.press('Enter');
    }
    await expect(writing).toBeVisible();
    await expect(write).toBeDisabled();

    // The second one's wizard is its own: at its first step, not busy, with its own preview.
    await switchTo(page, second);
    await expect(heading).toHaveText(second);
    await expect(panel.getByRole('button', { name: '1. Tags' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await panel.getByRole('button', { name: '4. Write and test' }).press('Enter');
    await expect(write).toBeEnabled();
    await expect(writing).toHaveCount(0);
    await panel.getByRole('button', { name: '3. Preview' }).press('Enter');
    const preview = panel.getByTestId('nbtools-preview-summary');
    await expect(preview).toHaveText(`Package report in ${tmpPath}/d/report`);

    // The first write ends while the second notebook is shown: its result stays out of it.
    const written = page.waitForResponse(
      response => extract.test(response.url()) && response.request().postDataJSON()?.path === first
    );
    release();
    expect((await written).ok()).toBe(true);
    await expect(preview).toHaveText(`Package report in ${tmpPath}/d/report`);
    await panel.getByRole('button', { name: '4. Write and test' }).press('Enter');
    await expect(panel.getByTestId('nbtools-test-summary')).toHaveCount(0);
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await attachScreenshot(page, testInfo, `wizard-second-report-${theme}`, panel);
    }
    await page.theme.setLightTheme();

    // Back on the first notebook: its own result, its tests' cells in its own notebook.
    await switchTo(page, first);
    await expect(heading).toHaveText(first);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${tmpPath}/c/report.`
    );
    await panel.getByRole('button', { name: '3. Preview' }).press('Enter');
    await expect(preview).toHaveText(`Package report in ${tmpPath}/c/report`);

    // With one report.ipynb open, the heading is its file name again.
    await page.evaluate(file => {
      for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
        if ((widget as unknown as { context?: { path: string } }).context?.path === file) {
          widget.dispose();
        }
      }
    }, second);
    await expect(heading).toHaveText('report.ipynb');
  });

  test('a notebook renamed while open keeps its step and options', async ({ page, tmpPath }) => {
    await upload(page, `${tmpPath}/other.ipynb`, exported('other'));
    await upload(page, `${tmpPath}/a/report.ipynb`, exported('report'));
    await show(page, `${tmpPath}/other.ipynb`);
    await show(page, `${tmpPath}/a/report.ipynb`);
    const panel = await openSection(page, 'report.ipynb', 'Package');
    await panel.getByRole('button', { name: '2. Options' }).press('Enter');
    const name = panel.getByRole('textbox', { name: 'Package name' });
    const version = panel.getByRole('textbox', { name: 'Version' });
    const output = panel.getByRole('textbox', { name: 'Output directory' });
    await name.fill('areport');
    await version.fill('2.0.0');
    await output.fill(`${tmpPath}/a/pkg`);

    // File ▸ Rename Notebook…, the new name typed.
    const renamed = `${tmpPath}/a/report_v2.ipynb`;
    const saved = page.waitForRequest(request => savesWizard(request, renamed, `${tmpPath}/a/pkg`));
    await page.menu.clickMenuItem('File>Rename Notebook…');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('textbox')).toBeFocused();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('report_v2.ipynb');
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    await expect(panel.getByTestId('nbtools-active-notebook')).toHaveText('report_v2.ipynb');

    // Away and back: the renamed notebook's wizard is where the user left it.
    await show(page, `${tmpPath}/other.ipynb`);
    await expect(panel.getByRole('button', { name: '1. Tags' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await show(page, renamed);
    await expect(panel.getByRole('button', { name: '2. Options' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await expect(name).toHaveValue('areport');
    await expect(version).toHaveValue('2.0.0');
    await expect(output).toHaveValue(`${tmpPath}/a/pkg`);
    await saved; // remembered under its new path, for the next reload
  });

  test('files edited by hand, or other files in the folder, are written over only once the user says so', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180_000);
    const tagged = notebookJson([
      { ...codeCell('fn', 'def edited():\n    return 1'), metadata: { tags: ['export'] } }
    ]);
    await upload(page, `${tmpPath}/edited.ipynb`, tagged);
    const output = `${tmpPath}/edited-pkg`;
    const written = await page.request.post('/nbtools/api/extract', {
      data: { path: `${tmpPath}/edited.ipynb`, output, dry_run: false }
    });
    expect(written.ok(), await written.text()).toBe(true);
    const core = `${output}/src/edited/core.py`;
    const before = await page.request.get(`/api/contents/${core}?type=file&format=text&content=1`);
    expect(before.ok(), await before.text()).toBe(true);
    const fixed = `${(await before.json()).content}\n# a fix made by hand\n`;
    const saved = await page.request.put(`/api/contents/${core}`, {
      data: { type: 'file', format: 'text', content: fixed }
    });
    expect(saved.ok(), await saved.text()).toBe(true);

    await show(page, `${tmpPath}/edited.ipynb`);
    const panel = await openSection(page, 'edited.ipynb', 'Package');
    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Output directory' }).fill(output);
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    let dialog = await writeAsked(page, panel);
    await expect(dialog).toContainText('Write over files edited by hand?');
    await expect(dialog).toContainText('were edited since nbtools wrote them: src/edited/core.py');
    await attachScreenshot(page, testInfo, 'wizard-edited-files-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(panel.getByRole('alert')).toContainText(
      'Not written: files of the package were edited since nbtools wrote them (src/edited/core.py).'
    );
    const kept = await page.request.get(`/api/contents/${core}?type=file&format=text&content=1`);
    expect((await kept.json()).content).toContain('# a fix made by hand');

    dialog = await writeAsked(page, panel);
    await dialog.getByRole('button', { name: 'Write, keeping .orig copies' }).click();
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(`Written to ${output}.`, {
      timeout: 60_000
    });
    const orig = await page.request.get(
      `/api/contents/${core}.orig?type=file&format=text&content=1`
    );
    expect((await orig.json()).content).toContain('# a fix made by hand');

    // A folder of other files: the package goes beside them, once the user agrees.
    await upload(page, `${tmpPath}/mine/notes.txt`, 'my notes');
    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Output directory' }).fill(`${tmpPath}/mine`);
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    dialog = await writeAsked(page, panel);
    await expect(dialog).toContainText('Write into a folder with other files?');
    await expect(dialog).toContainText('did not generate: notes.txt');
    await dialog.getByRole('button', { name: 'Write there' }).click();
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${tmpPath}/mine.`,
      { timeout: 60_000 }
    );
    expect(await page.contents.fileExists(`${tmpPath}/mine/notes.txt`)).toBe(true);
  });

  test('an option the server refuses is shown next to its field, one click away', async ({
    page,
    tmpPath
  }, testInfo) => {
    await upload(page, `${tmpPath}/named.ipynb`, exported('named'));
    await upload(page, `${tmpPath}/taken`, 'a file where the package would go');
    await show(page, `${tmpPath}/named.ipynb`);
    const panel = await openSection(page, 'named.ipynb', 'Package');
    await panel.getByRole('button', { name: 'export cell 1', exact: true }).click();
    await panel.getByRole('button', { name: '2. Options' }).click();
    const name = panel.getByRole('textbox', { name: 'Package name' });
    const output = panel.getByRole('textbox', { name: 'Output directory' });
    await name.fill('Bad-Name');

    // The preview is refused: the alert says why and leads back to the field.
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText("Invalid package name 'Bad-Name'");
    await alert.getByRole('button', { name: 'Change it in Options' }).click();
    await expect(panel.getByRole('button', { name: '2. Options' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await expect(alert).toHaveCount(0); // the message is next to its field instead
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    // The error describes the field; its name stays the label alone.
    await expect(name).toHaveAccessibleName('Package name');
    await expect(name).toHaveAccessibleDescription(/Try 'bad_name'/);
    await expect(name).toBeFocused();
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-option-error-${theme}`, panel);
    }
    await page.theme.setLightTheme();
    await expect(output).toHaveAttribute('aria-invalid', 'false');

    // Typing a new name takes the error away; the next refusal names the output.
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('named_pkg');
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await output.fill(`${tmpPath}/taken`);
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(alert).toContainText('is not a directory');
    await panel.getByRole('button', { name: 'Back' }).click();
    await expect(output).toHaveAttribute('aria-invalid', 'true');
    await expect(output).toHaveAccessibleName('Output directory');
    await expect(output).toHaveAccessibleDescription(/taken is not a directory/);
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await output.fill(`${tmpPath}/named-pkg`);
    await expect(output).toHaveAttribute('aria-invalid', 'false');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('Package named_pkg');

    // An empty Version is the default its placeholder names, as for `nbtools extract`.
    await panel.getByRole('button', { name: '2. Options' }).press('Enter');
    const version = panel.getByRole('textbox', { name: 'Version' });
    await expect(version).toHaveAttribute('placeholder', '0.1.0 (the default)');
    await version.fill('');
    await panel.getByRole('button', { name: '3. Preview' }).press('Enter');
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('Package named_pkg');
    await expect(alert).toHaveCount(0);
    await panel.getByRole('button', { name: 'pyproject.toml' }).press('Enter');
    await expect(page.locator('.jp-nbtools-FilePage-editor')).toContainText('version = "0.1.0"');
  });

  test('the disabled Back button looks disabled', async ({ page, tmpPath }) => {
    await upload(page, `${tmpPath}/back.ipynb`, exported('back'));
    await show(page, `${tmpPath}/back.ipynb`);
    const panel = await openSection(page, 'back.ipynb', 'Package');
    const back = panel.getByRole('button', { name: 'Back' });
    const next = panel.getByRole('button', { name: 'Next' });
    await expect(back).toBeDisabled();
    const looks = (button: typeof back) =>
      button.evaluate(node => {
        const style = getComputedStyle(node);
        return { cursor: style.cursor, opacity: style.opacity };
      });
    expect(await looks(back)).toEqual({ cursor: 'not-allowed', opacity: '0.6' });
    await next.click();
    await expect(back).toBeEnabled();
    expect((await looks(back)).cursor).not.toBe('not-allowed');
  });
});
