import { expect } from '@jupyterlab/galata';
import type { JupyterLabPage } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  productionPanel
} from './helpers';
import { sharePage, test } from './fixtures';
import { exported, savesWizard, switchTo, upload } from './wizard';

/* The Package wizard: each open notebook has a wizard of its own (its step, its options, its results), through switches, renames and reloads. */
test.describe('Package wizard of each notebook', () => {
  const lab = sharePage();

  test('a write answers the notebook it was asked for, even after a switch to another of the same name', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(240_000);
    const [first, second] = [`${tmpPath}/c/report.ipynb`, `${tmpPath}/d/report.ipynb`];
    const tagged = (name: string) =>
      notebookJson([
        { ...codeCell('fn', `def ${name}():\n    return 1`), metadata: { tags: ['export'] } }
      ]);
    await upload(page, first, tagged('from_c'));
    await upload(page, second, tagged('from_d'));
    // The first notebook's calls wait until the test lets them go (routed on the shared page's
    // context, whose reset removes the route). (ServerConnection appends a cache-busting query
    // string to the address.)
    const extract = /\/nbtools\/api\/extract(\?.*)?$/;
    let release = (): void => undefined;
    const held = new Promise<void>(resolve => (release = resolve));
    await page.context().route(extract, async route => {
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
    // marked disabled, not disabled: it keeps the focus (docs/workspace.md)
    await expect(write).toHaveAttribute('aria-disabled', 'true');
    await expect(write).toBeFocused();

    // The second one's wizard is its own: at its first step, not busy, with its own preview.
    await switchTo(page, second);
    await expect(heading).toHaveText(second);
    await expect(panel.getByRole('button', { name: '1. Tags' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await panel.getByRole('button', { name: '4. Write and test' }).press('Enter');
    await expect(write).toHaveAttribute('aria-disabled', 'false');
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
    await inEachTheme(page, theme =>
      attachScreenshot(page, testInfo, `wizard-second-report-${theme}`, panel)
    );

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

  test('a notebook renamed while open keeps its step and options', async ({ tmpPath }) => {
    const page = lab();
    await upload(page, `${tmpPath}/other.ipynb`, exported('other'));
    await upload(page, `${tmpPath}/a/report.ipynb`, exported('report'));
    await openNotebook(page, `${tmpPath}/other.ipynb`);
    await openNotebook(page, `${tmpPath}/a/report.ipynb`);
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
    await openNotebook(page, `${tmpPath}/other.ipynb`);
    await expect(panel.getByRole('button', { name: '1. Tags' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await openNotebook(page, renamed);
    await expect(panel.getByRole('button', { name: '2. Options' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await expect(name).toHaveValue('areport');
    await expect(version).toHaveValue('2.0.0');
    await expect(output).toHaveValue(`${tmpPath}/a/pkg`);
    await saved; // remembered under its new path, for the next reload
  });
});

test.describe('Package wizard of each notebook, after a reload', () => {
  test('keeps each notebook its own options, and asks before replacing another notebook’s package', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(300_000);
    await upload(page, `${tmpPath}/first.ipynb`, exported('one'));
    await upload(page, `${tmpPath}/second.ipynb`, exported('two'));
    await openNotebook(page, `${tmpPath}/second.ipynb`);
    await openNotebook(page, `${tmpPath}/first.ipynb`);
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
    await openNotebook(page, `${tmpPath}/second.ipynb`);
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
    await openNotebook(page, `${tmpPath}/first.ipynb`);
    panel = await openSection(page, 'first.ipynb', 'Package');
    await expect(panel.getByRole('button', { name: '4. Write and test' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await panel.getByRole('button', { name: '2. Options' }).click();
    await expect(output).toHaveValue(`${tmpPath}/shared`);
    await openNotebook(page, `${tmpPath}/second.ipynb`);
    await expect(output).toHaveValue(`${tmpPath}/second-pkg`);
  });
});
