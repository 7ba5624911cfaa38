import { expect } from '@jupyterlab/galata';

import { attachScreenshot, codeCell, notebookJson, openNotebook } from './helpers';
import { sharePage, test } from './fixtures';

const lab = sharePage();

test("nbdime's checkpoint diff works on nbtools checkpoints", async ({ tmpPath }, testInfo) => {
  const page = lab();
  const path = `${tmpPath}/diffed.ipynb`;
  expect(
    await page.contents.uploadContent(notebookJson([codeCell('a', 'rate = 1')]), 'text', path)
  ).toBe(true);
  await openNotebook(page, path);
  await page.notebook.setCell(0, 'code', 'rate = 2');
  await page.notebook.save();

  const notebook = await page.activity.getPanelLocator('diffed.ipynb');
  const answered = page.waitForResponse(
    response =>
      response.url().includes('/nbdime/api/diff') && response.request().method() === 'POST'
  );
  await notebook!.locator('[data-command="nbdime:diff-checkpoint"]').first().click();
  expect((await answered).status()).toBe(200);
  // nbdime names the tab after the notebook without its extension.
  await expect(page.getByRole('tab', { name: /Diff checkpoint: diffed/ })).toBeVisible();
  // The saved file is its own last checkpoint: nbdime compares it with the file, unchanged.
  await expect(page.getByRole('tabpanel', { name: /Diff checkpoint: diffed/ })).toContainText(
    'rate = 2'
  );
  await expect(page.getByText('Unable to query nbdime API')).toHaveCount(0);
  await attachScreenshot(page, testInfo, 'nbdime-checkpoint-diff');
});
