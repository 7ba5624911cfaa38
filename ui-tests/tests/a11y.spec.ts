import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  sectionToggle,
  violations
} from './helpers';
import { test } from './fixtures';

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
  await openNotebook(page, path);

  // With the Status and Jobs sections open (the job form, in the main area: job-form-*.spec.ts).
  const panel = await openSection(page, 'checked.ipynb', 'Jobs');
  await expect(panel.getByRole('button', { name: 'Create job' })).toBeVisible();
  await sectionToggle(panel, 'Status').click();
  await expect(panel.getByTestId('nbtools-status-version')).toBeVisible();
  await inEachTheme(page, async theme => {
    expect(await violations(page, testInfo)).toEqual([]);
    await attachScreenshot(page, testInfo, `panel-${theme}`);
  });
});
