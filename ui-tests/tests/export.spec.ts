import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import { attachScreenshot, inEachTheme, openNotebook, violations, writeAndTest } from './helpers';
import { sharePage, test } from './fixtures';

/** A notebook from [source, tags] pairs; the first entry is a markdown title. */
function notebook(title: string, cells: [string, string[]][]): string {
  return JSON.stringify({
    cells: [
      { cell_type: 'markdown', id: 'title', metadata: {}, source: `# ${title}` },
      ...cells.map(([source, tags], index) => ({
        cell_type: 'code',
        id: `code-${index}`,
        metadata: tags.length ? { tags } : {},
        execution_count: null,
        outputs: [],
        source
      }))
    ],
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

async function open(page: IJupyterLabPageFixture, path: string, content: string): Promise<void> {
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
  await openNotebook(page, path);
}

/** The Production panel, opened with the notebook toolbar's Productionize button. */
async function openPanel(page: IJupyterLabPageFixture, name: string) {
  const notebook = await page.activity.getPanelLocator(name);
  await notebook!.getByRole('button', { name: 'Productionize', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Production', exact: true });
  await expect(panel).toBeVisible();
  return panel;
}

test.describe('Productionize wizard', () => {
  const lab = sharePage();

  test('tag cells, extract the package and see its tests pass', async ({ tmpPath }, testInfo) => {
    const page = lab();
    await open(
      page,
      `${tmpPath}/calc.ipynb`,
      notebook('Calc', [
        ['def double(x):\n    return 2 * x', []],
        ['assert double(2) == 4', []],
        ['double(21)', []]
      ])
    );
    const panel = await openPanel(page, 'calc.ipynb');

    // One-click toggle in the tag overview.
    await panel.getByRole('button', { name: 'export cell 2', exact: true }).click();
    await expect(panel.getByRole('button', { name: 'export cell 2' })).toHaveAttribute(
      'aria-pressed',
      'true'
    );

    // Keyboard shortcut on the active cell: G then T tags it `test`.
    await page.notebook.selectCells(2);
    await page.keyboard.press('Escape');
    await page.keyboard.press('g');
    await page.keyboard.press('t');
    await expect(panel.getByRole('button', { name: 'test cell 3', exact: true })).toHaveAttribute(
      'aria-pressed',
      'true'
    );

    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Package name' }).fill('calc_pkg');

    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('calc_pkg');
    const files = panel.getByRole('list', { name: 'Package files' });
    await expect(files).toContainText('src/calc_pkg/core.py');
    await expect(files).toContainText('tests/test_calc_pkg.py');
    await expect(panel.getByRole('list', { name: 'Problems' })).toHaveCount(0);

    // A file of the preview opens in the main area, read-only and highlighted.
    await files.getByRole('button', { name: 'src/calc_pkg/core.py' }).click();
    const filePage = page.getByRole('main').locator('.jp-nbtools-FilePage');
    await expect(filePage).toContainText('def double');
    await expect(filePage.locator('.cm-editor.jp-mod-readOnly')).toBeVisible();
    // Typing changes nothing (the caret still moves, for reading with the keyboard).
    await filePage.locator('.cm-content').click();
    await page.keyboard.type('zz');
    await expect(filePage.locator('.cm-content')).not.toContainText('zz');
    await attachScreenshot(page, testInfo, 'package-file-preview');
    expect(await page.notebook.activate('calc.ipynb')).toBe(true);

    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText('1 passed, 0 failed', {
      timeout: 60000
    });
    const results = panel.getByRole('list', { name: 'Test results' });
    await expect(results).toContainText('test_cell_3');
    await expect(results).toContainText('passed');
    await attachScreenshot(page, testInfo, 'productionize-tests-green');

    // pytest's output opens in the main area with the counts.
    await panel.getByRole('button', { name: 'Open the test output in a tab' }).click();
    const testPage = page.getByRole('main').locator('.jp-nbtools-TestPage');
    await expect(testPage.getByTestId('nbtools-test-counts')).toContainText(
      '1 passed, 0 failed, 0 errors, 0 skipped'
    );
    await expect(testPage.getByRole('region', { name: 'pytest output' })).toContainText('passed');
    await expect(testPage.getByRole('region', { name: 'Failing tests' })).toHaveCount(0);
    await attachScreenshot(page, testInfo, 'package-test-output');
    expect(await page.notebook.activate('calc.ipynb')).toBe(true);

    // Step 5 hands the notebook to job creation (the create-job form in the main area).
    await panel.getByRole('button', { name: '6. Schedule' }).click();
    await panel.getByRole('button', { name: 'Schedule this notebook' }).click();
    await expect(page.getByRole('form', { name: 'Create job' })).toContainText(
      `New job for ${tmpPath}/calc.ipynb`
    );
  });

  test('the package the command line wrote elsewhere is the one the wizard previews and updates', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/nbs/sales.ipynb`;
    const cells: [string, string[]][] = [
      ['def total(xs):\n    return sum(xs)', ['export']],
      ['assert total([1, 2]) == 3', ['test']]
    ];
    expect(await page.contents.uploadContent(notebook('Sales', cells), 'text', path)).toBe(true);
    // as `nbtools extract nbs/sales.ipynb -o packages/sales` does
    const written = await page.request.post('/nbtools/api/extract', {
      data: { path, output: `${tmpPath}/packages/sales`, dry_run: false }
    });
    expect(written.ok(), await written.text()).toBe(true);
    await openNotebook(page, path);
    const panel = await openPanel(page, 'sales.ipynb');

    await panel.getByRole('button', { name: '2. Options' }).click();
    const output = panel.getByRole('textbox', { name: 'Output directory' });
    await expect(output).toHaveValue('');
    await expect(output).toHaveAttribute(
      'placeholder',
      'where its package is, else next to the notebook'
    );
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-summary')).toHaveText(
      `Package sales in ${tmpPath}/packages/sales`
    );
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText('1 passed, 0 failed', {
      timeout: 60_000
    });
    expect((await page.contents.getContentMetadata(`${tmpPath}/nbs/sales`)) ?? null).toBeNull();
  });

  test('an undefined name is shown on its cell, and the link scrolls there', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await open(
      page,
      `${tmpPath}/broken.ipynb`,
      notebook('Broken', [
        ['def f():\n    return 1', ['export']],
        ['data = [1, 2, 3]', []],
        ['x = f()', ['main']],
        ['total = x + len(data)', ['main']]
      ])
    );
    const panel = await openPanel(page, 'broken.ipynb');

    await panel.getByRole('button', { name: '3. Preview' }).click();
    const problems = panel.getByRole('list', { name: 'Problems' });
    await expect(problems).toContainText("'data' is used in a 'main' cell but not defined.");
    await expect(problems).toContainText('Cell 3 defines it but is not exported');
    await attachScreenshot(page, testInfo, 'productionize-problem');

    await problems.getByRole('button', { name: 'Cell 5, line 1' }).click();
    const active = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-mod-active');
    await expect(active).toContainText('total = x + len(data)');

    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText('nothing was written');
    await expect(alert.getByRole('button', { name: 'Cell 5, line 1' })).toBeVisible();

    // The kernel's language info written into the notebook's metadata (which can come after
    // the write's answer) leaves the error; an edit of a cell takes it away.
    await page.evaluate(() => {
      const notebook = window.jupyterapp.shell.currentWidget as unknown as {
        model: { setMetadata(key: string, value: unknown): void };
      };
      notebook.model.setMetadata('language_info', { name: 'python', version: '3.99' });
    });
    await expect(alert).toContainText('nothing was written');
    await page.notebook.setCell(4, 'code', 'total = x + 1');
    await expect(alert).toBeHidden();
  });

  test('a failing test shows on the test output page and links to its cell; the main-area pages pass axe, light and dark', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(240_000);
    await open(
      page,
      `${tmpPath}/failing.ipynb`,
      notebook('Failing', [
        ['def double(x):\n    return 2 * x', ['export']],
        ['x = 1', []],
        ['assert double(2) == 5', ['test']]
      ])
    );
    const panel = await openPanel(page, 'failing.ipynb');
    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Package name' }).fill('failing_pkg');

    await panel.getByRole('button', { name: '3. Preview' }).click();
    const files = panel.getByRole('list', { name: 'Package files' });
    await files.getByRole('button', { name: 'src/failing_pkg/core.py' }).click();
    const filePage = page.getByRole('main').locator('.jp-nbtools-FilePage');
    await expect(filePage).toContainText('def double');
    expect(await violations(page, testInfo, '.jp-nbtools-FilePage')).toEqual([]);
    expect(await page.notebook.activate('failing.ipynb')).toBe(true);

    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText('0 passed, 1 failed', {
      timeout: 60000
    });
    await panel.getByRole('button', { name: 'Open the test output in a tab' }).click();
    const testPage = page.getByRole('main').locator('.jp-nbtools-TestPage');
    await expect(testPage.getByTestId('nbtools-test-counts')).toContainText(
      '0 passed, 1 failed, 0 errors, 0 skipped'
    );
    const failing = testPage.getByRole('region', { name: 'Failing tests' });
    const failure = failing.getByRole('article', { name: 'test_cell_4' });
    await expect(failure).toContainText('failed');
    await expect(failure).toContainText('assert');
    await expect(testPage.getByRole('region', { name: 'pytest output' })).toContainText('1 failed');
    const testsTab = page.getByRole('tab', { name: /^Tests: / });
    await inEachTheme(page, async theme => {
      await testsTab.click();
      await expect(failing).toBeVisible();
      expect(await violations(page, testInfo, '.jp-nbtools-TestPage')).toEqual([]);
      await attachScreenshot(page, testInfo, `package-test-output-failing-${theme}`);
      await page.getByRole('tab', { name: 'src/failing_pkg/core.py' }).click();
      await expect(filePage).toBeVisible();
      expect(await violations(page, testInfo, '.jp-nbtools-FilePage')).toEqual([]);
      await attachScreenshot(page, testInfo, `package-file-preview-${theme}`);
    });

    // The failure's cell link brings the notebook back, at the test cell.
    await testsTab.click();
    await failure.getByRole('button', { name: /^Cell 4/ }).click();
    const active = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-mod-active');
    await expect(active).toContainText('assert double(2) == 5');
  });
});
