import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection
} from './helpers';
import { sharePage, test } from './fixtures';

// The tests share one page (sharePage in fixtures.ts).
const lab = sharePage();

test('tagged cells show their role in the notebook, one role per cell', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  const path = `${tmpPath}/roles.ipynb`;
  const parameters = { ...codeCell('p', 'days = 1'), metadata: { tags: ['parameters'] } };
  expect(
    await page.contents.uploadContent(
      notebookJson([parameters, codeCell('f', 'def total():\n    return days')]),
      'text',
      path
    )
  ).toBe(true);
  await openNotebook(page, path);

  const roles = (index: number) =>
    page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(index).locator('.jp-nbtools-CellRoles');
  await expect(roles(0)).toHaveAccessibleName('Cell roles: parameters');
  await expect(roles(1)).toHaveCount(0);

  // Tagging from the Package wizard: the badge follows, and a new role replaces the old one.
  const panel = await openSection(page, 'roles.ipynb', 'Package');
  await panel.getByRole('button', { name: 'export cell 2', exact: true }).click();
  await expect(roles(1)).toHaveText('export');
  await panel.getByRole('button', { name: 'main cell 2', exact: true }).click();
  await expect(roles(1)).toHaveText('main');
  await panel.getByRole('button', { name: 'skip cell 2', exact: true }).click();
  await expect(roles(1)).toHaveAccessibleName('Cell roles: main, skip');
  const notebook = (await page.activity.getPanelLocator('roles.ipynb'))!.locator('.jp-Notebook');
  await inEachTheme(page, theme =>
    attachScreenshot(page, testInfo, `cell-roles-${theme}`, notebook)
  );

  await panel.getByRole('button', { name: 'main cell 2', exact: true }).click();
  await panel.getByRole('button', { name: 'skip cell 2', exact: true }).click();
  await expect(roles(1)).toHaveCount(0);
});

test('the cell context menu has one "Tag Cell as" submenu with the roles', async ({ tmpPath }) => {
  const page = lab();
  const path = `${tmpPath}/menu.ipynb`;
  expect(
    await page.contents.uploadContent(notebookJson([codeCell('a', 'x = 1')]), 'text', path)
  ).toBe(true);
  await openNotebook(page, path);
  const cell = page.locator('.jp-NotebookPanel:visible .jp-Cell').first();
  await cell.locator('.jp-InputPrompt').click({ button: 'right' });
  const menu = page.getByRole('menu').first();
  // One submenu (Lumino gives submenu items no role), none of the tags among the menu's items.
  await expect(menu.getByRole('menuitem', { name: /^Tag Cell as / })).toHaveCount(0);
  const tagAs = menu.locator('.lm-Menu-item[data-type="submenu"]', { hasText: 'Tag Cell as' });
  await expect(tagAs).toHaveCount(1);
  await tagAs.hover();
  const submenu = page.getByRole('menu').nth(1);
  for (const tag of ['export', 'main', 'test', 'parameters', 'skip']) {
    await expect(submenu.getByRole('menuitem', { name: tag, exact: true })).toBeVisible();
  }
  await submenu.getByRole('menuitem', { name: 'test', exact: true }).click();
  await expect(cell.locator('.jp-nbtools-CellRoles')).toHaveText('test');
});

test('an extraction problem is marked on the cell and line it names, until it is fixed', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  const path = `${tmpPath}/problems.ipynb`;
  const exported = {
    ...codeCell('f', 'def total(x):\n    return x +\nrate = 2'),
    metadata: { tags: ['export'] }
  };
  expect(
    await page.contents.uploadContent(
      notebookJson([codeCell('a', 'x = 1'), exported]),
      'text',
      path
    )
  ).toBe(true);
  await openNotebook(page, path);

  const cells = page.locator('.jp-NotebookPanel:visible .jp-Cell');
  const marker = (index: number) =>
    cells.nth(index).getByRole('list', { name: /extraction problem/ });
  const editorLines = cells.nth(1).locator('.cm-content > .cm-line');
  const lineMarks = cells.nth(1).locator('.jp-nbtools-ProblemLineMark');
  const panel = await openSection(page, 'problems.ipynb', 'Package');
  await panel.getByRole('button', { name: /^3\. Preview$/ }).click();

  // The cell's summary names the line; the editor marks that line (2), not line 1.
  await expect(marker(1)).toContainText('Error, line 2:');
  await expect(marker(1)).toContainText('Syntax error');
  await expect(marker(0)).toHaveCount(0);
  await expect(editorLines.nth(1)).toHaveClass(/jp-nbtools-ProblemLine/);
  await expect(editorLines.nth(1)).toHaveAttribute('title', /Syntax error/);
  await expect(editorLines.nth(0)).not.toHaveClass(/jp-nbtools-ProblemLine/);
  await expect(editorLines.nth(2)).not.toHaveClass(/jp-nbtools-ProblemLine/);
  await expect(cells.nth(0).locator('.jp-nbtools-ProblemLine')).toHaveCount(0);
  await expect(lineMarks).toHaveCount(1);
  await expect(lineMarks).toHaveAttribute('title', /Syntax error/);
  await expect(editorLines.nth(1)).toHaveAttribute(
    'aria-description',
    /^Line 2: Error: Syntax error/
  );
  await inEachTheme(page, theme => attachScreenshot(page, testInfo, `problem-marker-${theme}`));

  // A new line before it: line 2 is no longer the line the check named, so its mark goes.
  await page.notebook.setCell(1, 'code', 'def total(x):\n\n    return x +\nrate = 2');
  await expect(cells.nth(1).locator('.jp-nbtools-ProblemLine')).toHaveCount(0);
  await expect(lineMarks).toHaveCount(0);
  await panel.getByRole('button', { name: 'Refresh preview' }).click();
  await expect(marker(1)).toContainText('Error, line 3:');
  await expect(editorLines.nth(2)).toHaveClass(/jp-nbtools-ProblemLine/);

  // Fixed in the editor: the next preview clears the markers.
  await page.notebook.setCell(1, 'code', 'def total(x, rate=2):\n    return x + rate');
  await panel.getByRole('button', { name: 'Refresh preview' }).click();
  await expect(panel.getByTestId('nbtools-preview-summary')).toBeVisible();
  await expect(cells.nth(1).locator('.jp-nbtools-CellRoles')).toHaveText('export');
  await expect(marker(1)).toHaveCount(0);
  await expect(cells.nth(1).locator('.jp-nbtools-ProblemLine')).toHaveCount(0);
  await expect(lineMarks).toHaveCount(0);
  // The gutter takes no room once the cell has no problem left: the code does not shift.
  const gutter = cells.nth(1).locator('.jp-nbtools-ProblemGutter');
  expect((await gutter.boundingBox())?.width ?? 0).toBeLessThan(1);
});

test('a warning is marked on its line in amber, not as an error', async ({ tmpPath }) => {
  const page = lab();
  const path = `${tmpPath}/warning.ipynb`;
  // `pi` may come from the star import: a warning (name-from-star-import) on line 4.
  const exported = {
    ...codeCell('f', 'from math import *\n\ndef area(r):\n    return pi * r ** 2'),
    metadata: { tags: ['export'] }
  };
  expect(await page.contents.uploadContent(notebookJson([exported]), 'text', path)).toBe(true);
  await openNotebook(page, path);

  const cell = page.locator('.jp-NotebookPanel:visible .jp-Cell').first();
  const editorLines = cell.locator('.cm-content > .cm-line');
  const lineMark = cell.locator('.jp-nbtools-ProblemLineMark');
  const panel = await openSection(page, 'warning.ipynb', 'Package');
  await panel.getByRole('button', { name: /^3\. Preview$/ }).click();

  await expect(cell.getByRole('list', { name: /extraction problem/ })).toContainText(
    'Warning, line 4:'
  );
  const warned = editorLines.nth(3);
  await expect(warned).toHaveClass(/jp-nbtools-ProblemLine jp-mod-warning/);
  await expect(warned).not.toHaveClass(/jp-mod-error/);
  await expect(warned).toHaveAttribute('title', /'pi' is not defined in the notebook/);
  await expect(warned).toHaveAttribute('aria-description', /^Line 4: Warning: 'pi'/);
  for (const index of [0, 1, 2]) {
    await expect(editorLines.nth(index)).not.toHaveClass(/jp-nbtools-ProblemLine/);
  }
  await expect(lineMark).toHaveCount(1);
  await expect(lineMark).toHaveClass(/jp-mod-warning/);
  await expect(lineMark).toHaveAttribute('title', /'pi' is not defined in the notebook/);

  // Amber: the dot and the line's wavy underline take the theme's warning colour, not its error colour.
  const colours = await lineMark.evaluate(mark => {
    const resolve = (variable: string): string => {
      const probe = document.createElement('span');
      probe.style.color = `var(${variable})`;
      document.body.append(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    };
    const line = mark.closest('.jp-Cell')!.querySelector('.cm-line.jp-nbtools-ProblemLine')!;
    return {
      dot: getComputedStyle(mark).backgroundColor,
      underline: getComputedStyle(line).textDecorationColor,
      warn: resolve('--jp-warn-color1'),
      error: resolve('--jp-error-color1')
    };
  });
  expect(colours.warn).not.toBe(colours.error);
  expect(colours.dot).toBe(colours.warn);
  expect(colours.underline).toBe(colours.warn);
});
