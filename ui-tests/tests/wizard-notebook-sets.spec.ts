import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations,
  writeAndTest
} from './helpers';
import { sharePage, test } from './fixtures';
import { upload } from './wizard';

/* The Package wizard on notebooks making one package (docs/export.md, "A package from several notebooks"). */
test.describe('Package wizard over a set of notebooks', () => {
  const lab = sharePage();

  const core = notebookJson([
    codeCell('dx', '#| default_exp core'),
    codeCell('add', '#| export\ndef add(a, b):\n    return a + b')
  ]);
  const b = notebookJson([
    codeCell('dx', '#| default_exp b'),
    codeCell(
      'twice',
      '#| export\nfrom mylib.core import add\n\ndef twice(x):\n    return add(x, x)'
    ),
    { ...codeCell('check', 'assert twice(2) == 4'), metadata: { tags: ['test'] } }
  ]);

  /**
   * Upload `nbs/00_core.ipynb` and `nbs/01_b.ipynb` to `folder` and write their one package,
   * `mylib`, into `output`, as `nbtools extract nbs/ --name mylib -o OUTPUT` does; resolves to
   * the two notebooks' paths.
   */
  async function setPackage(
    page: IJupyterLabPageFixture,
    folder: string,
    output: string
  ): Promise<string[]> {
    const notebooks = [`${folder}/nbs/00_core.ipynb`, `${folder}/nbs/01_b.ipynb`];
    await upload(page, notebooks[0], core);
    await upload(page, notebooks[1], b);
    const written = await page.request.post('/nbtools/api/extract', {
      data: { path: notebooks[0], notebooks, name: 'mylib', output, dry_run: false }
    });
    expect(written.ok(), await written.text()).toBe(true);
    return notebooks;
  }

  test("a notebook of a set's package extracts the whole set, and says so", async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const notebooks = await setPackage(page, tmpPath, `${tmpPath}/packages/mylib`);

    await openNotebook(page, notebooks[1]);
    const panel = await openSection(page, '01_b.ipynb', 'Package');
    await panel.getByRole('button', { name: '2. Options' }).click();
    const set = panel.getByRole('group', { name: /This notebook is one of the 2 notebooks/ });
    await expect(set).toContainText(`package mylib (${tmpPath}/packages/mylib)`);
    await expect(set.getByRole('list', { name: 'Notebooks of the package' })).toHaveText(
      notebooks.join('')
    );
    await expect(panel.getByRole('group', { name: 'Include other notebooks' })).toHaveCount(0);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-set-package-${theme}`, panel);
    });

    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-summary')).toHaveText(
      `Package mylib in ${tmpPath}/packages/mylib`
    );
    await expect(panel.getByTestId('nbtools-preview-notebooks')).toHaveText(
      `Made of 2 notebooks: ${notebooks.join(', ')}`
    );
    await expect(panel.getByRole('list', { name: 'Package files' })).toContainText(
      'src/mylib/core.py'
    );

    // The write updates the set's package: no dialog offering to replace it with 01_b alone.
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    const summary = panel.getByTestId('nbtools-test-summary');
    await expect(summary).toContainText(`Written to ${tmpPath}/packages/mylib. 1 passed`, {
      timeout: 60_000
    });
    await expect(page.getByRole('dialog')).toHaveCount(0);
    const tests = panel.getByRole('list', { name: 'Test results' });
    await expect(tests.getByRole('button', { name: 'Cell 3' })).toBeVisible(); // 01_b's own
    expect(await page.contents.directoryExists(`${tmpPath}/nbs/nb_01_b`)).toBe(false);
  });

  test("a set's notebook renamed in JupyterLab still extracts its set, under its new name", async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(180_000);
    const notebooks = await setPackage(page, tmpPath, `${tmpPath}/mylib`);
    await openNotebook(page, notebooks[1]);
    const panel = await openSection(page, '01_b.ipynb', 'Package');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const made = panel.getByTestId('nbtools-preview-notebooks');
    await expect(made).toHaveText(`Made of 2 notebooks: ${notebooks.join(', ')}`);

    await page.menu.clickMenuItem('File>Rename Notebook…');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('textbox')).toBeFocused();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('01_twice.ipynb');
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    await expect(panel.getByTestId('nbtools-active-notebook')).toHaveText('01_twice.ipynb');
    await panel.getByRole('button', { name: '2. Options' }).click();
    await expect(panel.getByRole('list', { name: 'Notebooks of the package' })).toHaveText(
      `${notebooks[0]}${tmpPath}/nbs/01_twice.ipynb`
    );
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-summary')).toHaveText(
      `Package mylib in ${tmpPath}/mylib`
    );
    await expect(made).toHaveText(
      `Made of 2 notebooks: ${notebooks[0]}, ${tmpPath}/nbs/01_twice.ipynb`
    );
    await expect(panel.getByRole('alert')).toHaveCount(0);
  });

  test("an Output directory that is the set's package extracts the set there, as if found", async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(180_000);
    const notebooks = [`${tmpPath}/nbs/00_core.ipynb`, `${tmpPath}/nbs/01_b.ipynb`];
    await upload(page, notebooks[0], core);
    await upload(page, notebooks[1], b);
    await openNotebook(page, notebooks[1]);
    const panel = await openSection(page, '01_b.ipynb', 'Package');
    await panel.getByRole('button', { name: '2. Options' }).click();
    const include = panel.getByRole('group', { name: 'Include other notebooks' });
    await expect(include.getByRole('checkbox', { name: '00_core.ipynb' })).toBeVisible();
    const output = `${tmpPath}/packages/mylib`;
    await panel.getByRole('textbox', { name: 'Output directory' }).fill(output);
    // Meanwhile the set's package is written there, as `nbtools extract nbs -o ...` does.
    const written = await page.request.post('/nbtools/api/extract', {
      data: { path: notebooks[0], notebooks, name: 'mylib', output, dry_run: false }
    });
    expect(written.ok(), await written.text()).toBe(true);

    // Was: 01_b alone was written there, refused for dropping 00_core from the package.
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    const summary = panel.getByTestId('nbtools-test-summary');
    await expect(summary).toContainText(`Written to ${output}. 1 passed`, { timeout: 60_000 });
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(panel.getByRole('alert')).toHaveCount(0);
    await panel.getByRole('button', { name: '2. Options' }).click();
    const set = panel.getByRole('group', { name: /This notebook is one of the 2 notebooks/ });
    await expect(set).toContainText(`package mylib (${output})`);
  });

  test('two notebooks of one file name in a set each mark their own problems only', async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(180_000);
    const notebooks = [`${tmpPath}/nbs/a/core.ipynb`, `${tmpPath}/nbs/b/core.ipynb`];
    const a = (sum: string) =>
      notebookJson([
        codeCell('dx', '#| default_exp core'),
        codeCell('add', `#| export\ndef add(a, b):\n    return ${sum}`),
        codeCell('mul', '#| export\ndef mul(a, b):\n    return a * b')
      ]);
    const twice = (product: string) =>
      notebookJson([
        codeCell('dx', '#| default_exp b'),
        codeCell('one', '#| export\nONE = 1'),
        codeCell('twice', `#| export\ndef twice(x):\n    return ${product}`)
      ]);
    await upload(page, notebooks[0], a('a + b'));
    await upload(page, notebooks[1], twice('x * 2'));
    const written = await page.request.post('/nbtools/api/extract', {
      data: {
        path: notebooks[0],
        notebooks,
        name: 'mylib',
        output: `${tmpPath}/mylib`,
        dry_run: false
      }
    });
    expect(written.ok(), await written.text()).toBe(true);
    // Both go wrong since: a in its cell 2, b in its cell 3 (a's cell 3 is fine).
    for (const path of notebooks) {
      expect(await page.contents.deleteFile(path)).toBe(true);
    }
    await upload(page, notebooks[0], a('plus(a, b)'));
    await upload(page, notebooks[1], twice('times(x, 2)'));

    await openNotebook(page, notebooks[0]);
    const panel = await openSection(page, 'core.ipynb', 'Package');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-notebooks')).toHaveText(
      `Made of 2 notebooks: ${notebooks.join(', ')}`
    );
    // Was: a's problem was named as another notebook's (a/core.ipynb is not core.ipynb) and
    // marked nowhere.
    const problems = panel.getByRole('list', { name: 'Problems' });
    await expect(problems.getByRole('button', { name: 'Cell 2, line 3' })).toBeVisible();
    await expect(problems).toContainText('b/core.ipynb cell 3, line 3');
    await expect(problems.getByRole('button')).toHaveCount(1);
    const cells = page.locator('.jp-NotebookPanel:visible .jp-Cell');
    const marker = (index: number) =>
      cells.nth(index).getByRole('list', { name: /extraction problem/ });
    await expect(marker(1)).toContainText("'plus'");
    await expect(marker(2)).toHaveCount(0);
  });

  test('the other notebooks of its folder can join a new package, from the keyboard', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    await upload(page, `${tmpPath}/lib/00_core.ipynb`, core);
    await upload(page, `${tmpPath}/lib/01_b.ipynb`, b);
    await upload(page, `${tmpPath}/lib/_scratch.ipynb`, notebookJson([codeCell('x', 'x = 1')]));
    await openNotebook(page, `${tmpPath}/lib/01_b.ipynb`);
    const panel = await openSection(page, '01_b.ipynb', 'Package');
    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Package name' }).fill('mylib');
    const include = panel.getByRole('group', { name: 'Include other notebooks' });
    const other = include.getByRole('checkbox', { name: '00_core.ipynb' });
    await expect(include.getByRole('checkbox')).toHaveCount(1); // not itself, not _scratch
    await other.focus();
    await page.keyboard.press('Space');
    await expect(other).toBeChecked();
    await expect(include).toContainText('One package of 2 notebooks');
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-include-notebooks-${theme}`, panel);
    });

    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-notebooks')).toHaveText(
      `Made of 2 notebooks: ${tmpPath}/lib/00_core.ipynb, ${tmpPath}/lib/01_b.ipynb`
    );
    const files = panel.getByRole('list', { name: 'Package files' });
    await expect(files).toContainText('src/mylib/core.py');
    await expect(files).toContainText('src/mylib/b.py');
    await expect(panel.getByRole('list', { name: 'Problems' })).toHaveCount(0);

    // A notebook included that is gone since: the error is next to the list, nothing else.
    expect(await page.contents.deleteFile(`${tmpPath}/lib/00_core.ipynb`)).toBe(true);
    await panel.getByRole('button', { name: 'Refresh preview' }).click();
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText('No such notebook or folder');
    await alert.getByRole('button', { name: 'Change it in Options' }).click();
    await expect(alert).toHaveCount(0);
    await expect(include).toHaveAccessibleDescription(/No such notebook or folder/);
    await other.focus();
    await page.keyboard.press('Space');
    await expect(include).not.toHaveAccessibleDescription(/No such notebook/);
  });
});
