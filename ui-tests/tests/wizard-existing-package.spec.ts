import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';
import { upload, writeAsked } from './wizard';

/**
 * Upload `report.ipynb` (one exported function) to `folder` and write its package into
 * `folder/packages/report`, as `nbtools extract report.ipynb -o packages/report` does.
 */
async function reportPackage(page: IJupyterLabPageFixture, folder: string): Promise<void> {
  const tagged = notebookJson([
    { ...codeCell('fn', 'def report():\n    return 1'), metadata: { tags: ['export'] } },
    codeCell('use', 'report()')
  ]);
  await upload(page, `${folder}/report.ipynb`, tagged);
  const written = await page.request.post('/nbtools/api/extract', {
    data: { path: `${folder}/report.ipynb`, output: `${folder}/packages/report`, dry_run: false }
  });
  expect(written.ok(), await written.text()).toBe(true);
}

/* The Package wizard: writing where a package already is: another notebook's, a renamed notebook's, files edited by hand or other files. */
test.describe('Package wizard over an existing package', () => {
  const lab = sharePage();

  test('a notebook renamed in JupyterLab takes its package along: the wizard updates it without asking', async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(180_000);
    await reportPackage(page, tmpPath);
    // the lineage recorded in the background (its pin is what the rename follows)
    const root = (
      (await (await page.request.get('/nbtools/api/status')).json()) as { root: string }
    ).root;
    const manifest = `${root}/${tmpPath}/packages/report/.nbtools-extract.json`;
    await expect
      .poll(() =>
        execFileSync('python', [
          '-c',
          'import json, sys; print(json.load(open(sys.argv[1])).get("lineage", {}).get("notebook_version"))',
          manifest
        ]).toString()
      )
      .toContain('id');
    expect(
      await page.contents.renameFile(`${tmpPath}/report.ipynb`, `${tmpPath}/quarterly.ipynb`)
    ).toBe(true);
    // With its kernel: the language info it writes into the notebook is the change below.
    await openNotebook(page, `${tmpPath}/quarterly.ipynb`, { kernel: true });
    const panel = await openSection(page, 'quarterly.ipynb', 'Package');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const summary = panel.getByTestId('nbtools-preview-summary');
    await expect(summary).toHaveText(`Package report in ${tmpPath}/packages/report`);
    await expect(panel.getByRole('note')).toHaveCount(0);
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await panel.getByRole('button', { name: 'Write and test', exact: true }).click();
    // Opening the notebook changed it (its kernel's language info): the one question is to save
    // it first, never whether to replace another notebook's package.
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Save the notebook first?');
    await dialog.getByRole('button', { name: 'Save and write' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${tmpPath}/packages/report.`,
      { timeout: 60_000 }
    );
    expect(await page.contents.directoryExists(`${tmpPath}/quarterly`)).toBe(false);
  });

  test('a renamed notebook whose package did not follow is offered its old package, and updates it under its import name', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    await reportPackage(page, tmpPath);
    expect(
      await page.contents.renameFile(`${tmpPath}/report.ipynb`, `${tmpPath}/quarterly.ipynb`)
    ).toBe(true);
    // As a package written before its lineage was recorded (or by an nbtools older than the
    // rename hook's) is left: its manifest still names the notebook's old path.
    const status = await page.request.get('/nbtools/api/status');
    const root = ((await status.json()) as { root: string }).root;
    execFileSync('python', [
      '-c',
      'import json, sys; p = sys.argv[1]; m = json.load(open(p)); m["notebook_path"] = m["notebook_path"].replace("quarterly.ipynb", "report.ipynb"); json.dump(m, open(p, "w"))',
      `${root}/${tmpPath}/packages/report/.nbtools-extract.json`
    ]);
    await openNotebook(page, `${tmpPath}/quarterly.ipynb`);
    const panel = await openSection(page, 'quarterly.ipynb', 'Package');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const summary = panel.getByTestId('nbtools-preview-summary');
    await expect(summary).toHaveText(`Package quarterly in ${tmpPath}/quarterly`);
    const note = panel.getByRole('note', { name: `${tmpPath}/packages/report holds the package` });
    await expect(note).toContainText(`of ${tmpPath}/report.ipynb, which no longer exists`);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-renamed-notebook-note-${theme}`, panel);
    });

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

  test('files edited by hand, or other files in the folder, are written over only once the user says so', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
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

    await openNotebook(page, `${tmpPath}/edited.ipynb`);
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
});
