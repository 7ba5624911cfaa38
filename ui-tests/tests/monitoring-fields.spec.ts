import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations
} from './helpers';
import { test } from './fixtures';
import { createJob } from './jobsApi';

/* A job's monitoring: what the server refuses of a rule or a notification target is told under
   its field (docs/monitoring.md). */

/**
 * Upload `NAME.ipynb` to `tmpPath`, make it a daily job named `name`, open the notebook and
 * return the Jobs section's monitoring region of that job.
 */
async function monitoringOfANewJob(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string
): Promise<Locator> {
  const path = `${tmpPath}/${name}.ipynb`;
  expect(
    await page.contents.uploadContent(notebookJson([codeCell('a', 'x = 1')]), 'text', path)
  ).toBe(true);
  await createJob(page, { name, notebook_path: path, cron: '0 6 * * *' });
  await openNotebook(page, path);
  const panel = await openSection(page, `${name}.ipynb`, 'Jobs');
  return panel.getByRole('region', { name: `Monitoring of ${name}` });
}

// A page of its own: what the test checks (the reason scrolled into view with its field)
// depends on the sections open on the page, which the tests sharing a page change.
test('a rule the server refuses is told under its field, in sight, until the rule changes', async ({
  page,
  tmpPath
}, testInfo) => {
  const monitoring = await monitoringOfANewJob(page, tmpPath, 'ruled');
  // By keyboard: the toggle, then the rule typed and sent with Enter.
  await monitoring.getByRole('button', { name: 'Metrics and alerts' }).focus();
  await page.keyboard.press('Enter');
  const field = monitoring.getByRole('textbox', { name: 'New alert rule' });
  const refusal = /^Cannot parse the rule 'accuracy drops > lots' at column 18: expected an amount/;
  await inEachTheme(page, async theme => {
    await field.fill('accuracy drops > lots');
    await page.keyboard.press('Enter');
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(refusal);
    await expect(field).toBeFocused();
    // The reason is under the field, scrolled into the section's view with it (here the
    // Package section, open too, leaves the Jobs section less room than the long reason).
    const reason = monitoring.locator('.jp-nbtools-RuleForm .jp-nbtools-FieldError');
    await expect(reason).toHaveText(refusal);
    await expect(field).toBeInViewport({ ratio: 1 });
    await expect(reason).toBeInViewport();
    const [fieldBox, reasonBox] = [await field.boundingBox(), await reason.boundingBox()];
    expect(reasonBox!.y).toBeGreaterThanOrEqual(fieldBox!.y + fieldBox!.height);
    expect(await violations(page, testInfo, '.jp-nbtools-Rules')).toEqual([]);
    await attachScreenshot(page, testInfo, `rule-refused-${theme}`);
    // Changed, the rule is no longer the refused one.
    await page.keyboard.type('!');
    await expect(field).toHaveAttribute('aria-invalid', 'false');
    await expect(reason).toHaveCount(0);
  });
  await field.fill('accuracy drops > 5%');
  await page.keyboard.press('Enter');
  await expect(monitoring.getByRole('list', { name: 'Alert rules' })).toContainText(
    'accuracy drops > 5%'
  );
  await expect(field).toHaveValue('');
  // Added with Add rule pressed: the button, disabled with the field emptied, hands the focus to
  // the field.
  await field.fill('failed');
  const addRule = monitoring.getByRole('button', { name: 'Add rule' });
  await addRule.focus();
  await page.keyboard.press('Enter');
  await expect(monitoring.getByRole('list', { name: 'Alert rules' })).toContainText('failed');
  await expect(addRule).toBeDisabled();
  await expect(field).toBeFocused();
});

test('a destination the server refuses is told under its field; once a target is added, the field keeps the focus', async ({
  page,
  tmpPath
}) => {
  const monitoring = await monitoringOfANewJob(page, tmpPath, 'told');
  await monitoring.getByRole('button', { name: 'Metrics and alerts' }).click();
  const channel = monitoring.getByRole('combobox', { name: 'Channel' });
  const destination = monitoring.getByRole('textbox', { name: 'Notification destination' });
  const add = monitoring.getByRole('button', { name: 'Add', exact: true });
  // By keyboard: the address typed, then Add pressed.
  await channel.selectOption('email');
  await destination.fill('team at example.org');
  await add.focus();
  await page.keyboard.press('Enter');
  const refusal = /^Not an e-mail address: team at example.org\./;
  await expect(destination).toHaveAttribute('aria-invalid', 'true');
  await expect(destination).toHaveAccessibleDescription(refusal);
  await expect(destination).toBeFocused();
  const reason = monitoring.locator('.jp-nbtools-RuleForm .jp-nbtools-FieldError');
  await expect(reason).toHaveText(refusal);
  const [fieldBox, reasonBox] = [await destination.boundingBox(), await reason.boundingBox()];
  expect(reasonBox!.y).toBeGreaterThanOrEqual(fieldBox!.y + fieldBox!.height);
  // Changed, the destination is no longer the refused one.
  await page.keyboard.press('Control+A');
  await page.keyboard.type('team@example.org');
  await expect(destination).toHaveAttribute('aria-invalid', 'false');
  await expect(reason).toHaveCount(0);
  // Added: the field is emptied (Add, then disabled, lost the focus): the field has it.
  await add.focus();
  await page.keyboard.press('Enter');
  await expect(
    monitoring.getByRole('list', { name: 'Notification targets' }).getByRole('listitem')
  ).toHaveCount(1);
  await expect(destination).toHaveValue('');
  await expect(add).toBeDisabled();
  await expect(destination).toBeFocused();
});
