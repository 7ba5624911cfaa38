import AxeBuilder from '@axe-core/playwright';
import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { TestInfo } from '@playwright/test';

import { attachScreenshot, codeCell, notebookJson, openSection, sectionToggle } from './helpers';
import { test } from './fixtures';

/** WCAG 2.1 levels A and AA. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The axe-core violations of level A/AA in the Production panel, as readable lines. */
async function violations(page: IJupyterLabPageFixture, testInfo: TestInfo): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .include('#nbtools-production-panel')
    .withTags(WCAG_AA)
    .analyze();
  await testInfo.attach('axe-results', {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json'
  });
  return results.violations.flatMap(violation =>
    violation.nodes.map(
      node => `${violation.id}: ${node.target.join(' ')} — ${node.failureSummary}`
    )
  );
}

test('the Production panel has no WCAG A/AA violations, in the light and the dark theme', async ({
  page,
  tmpPath
}, testInfo) => {
  const path = `${tmpPath}/checked.ipynb`;
  const parameters = { ...codeCell('p', 'days = 3'), metadata: { tags: ['parameters'] } };
  expect(
    await page.contents.uploadContent(
      notebookJson([parameters, codeCell('b', 'print(days)')]),
      'text',
      path
    )
  ).toBe(true);
  expect(await page.notebook.openByPath(path)).toBe(true);
  expect(await page.notebook.activate('checked.ipynb')).toBe(true);

  // Collapsed, then with the Status, Versions and Jobs sections and the job form open.
  const panel = await openSection(page, 'checked.ipynb', 'Jobs');
  await panel.getByRole('button', { name: 'Create job' }).click();
  await panel
    .getByRole('form', { name: 'Create job' })
    .getByRole('radio', { name: 'On a schedule (saved as a job)' })
    .check();
  await expect(panel.getByRole('group', { name: 'Next runs' })).toBeVisible();
  await sectionToggle(panel, 'Status').click();
  await expect(panel.getByTestId('nbtools-status-version')).toBeVisible();
  expect(await violations(page, testInfo)).toEqual([]);
  await attachScreenshot(page, testInfo, 'panel-light');

  await page.theme.setDarkTheme();
  expect(await violations(page, testInfo)).toEqual([]);
  await attachScreenshot(page, testInfo, 'panel-dark');
});
