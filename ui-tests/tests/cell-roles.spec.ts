import { expect } from '@jupyterlab/galata';

import { attachScreenshot, codeCell, notebookJson, openSection } from './helpers';
import { test } from './fixtures';

test('tagged cells show their role in the notebook, one role per cell', async ({
  page,
  tmpPath
}, testInfo) => {
  const path = `${tmpPath}/roles.ipynb`;
  const parameters = { ...codeCell('p', 'days = 1'), metadata: { tags: ['parameters'] } };
  expect(
    await page.contents.uploadContent(
      notebookJson([parameters, codeCell('f', 'def total():\n    return days')]),
      'text',
      path
    )
  ).toBe(true);
  expect(await page.notebook.openByPath(path)).toBe(true);
  expect(await page.notebook.activate('roles.ipynb')).toBe(true);

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
  await attachScreenshot(page, testInfo, 'cell-roles-light');
  await page.theme.setDarkTheme();
  await attachScreenshot(page, testInfo, 'cell-roles-dark');

  await panel.getByRole('button', { name: 'main cell 2', exact: true }).click();
  await panel.getByRole('button', { name: 'skip cell 2', exact: true }).click();
  await expect(roles(1)).toHaveCount(0);
});
