import { execFileSync } from 'child_process';

import { expect } from '@jupyterlab/galata';

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
import { exported, upload } from './wizard';

/* The Package wizard: its Options step and its step buttons. */
test.describe('Package wizard options', () => {
  const lab = sharePage();

  test('an option the server refuses is shown next to its field, one click away', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await upload(page, `${tmpPath}/named.ipynb`, exported('named'));
    await upload(page, `${tmpPath}/taken`, 'a file where the package would go');
    await openNotebook(page, `${tmpPath}/named.ipynb`);
    const panel = await openSection(page, 'named.ipynb', 'Package');
    await panel.getByRole('button', { name: 'export cell 1', exact: true }).click();
    await panel.getByRole('button', { name: '2. Options' }).click();
    const name = panel.getByRole('textbox', { name: 'Package name' });
    const output = panel.getByRole('textbox', { name: 'Output directory' });
    await name.fill('Bad-Name');

    // The preview is refused: the alert says why and leads back to the field.
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText("Invalid package name 'Bad-Name'");
    await alert.getByRole('button', { name: 'Change it in Options' }).click();
    await expect(panel.getByRole('button', { name: '2. Options' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await expect(alert).toHaveCount(0); // the message is next to its field instead
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    // The error describes the field; its name stays the label alone.
    await expect(name).toHaveAccessibleName('Package name');
    await expect(name).toHaveAccessibleDescription(/Try 'bad_name'/);
    await expect(name).toBeFocused();
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-option-error-${theme}`, panel);
    });
    await expect(output).toHaveAttribute('aria-invalid', 'false');

    // Typing a new name takes the error away; the next refusal names the output.
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('named_pkg');
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await output.fill(`${tmpPath}/taken`);
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(alert).toContainText('is not a directory');
    await panel.getByRole('button', { name: 'Back' }).click();
    await expect(output).toHaveAttribute('aria-invalid', 'true');
    await expect(output).toHaveAccessibleName('Output directory');
    await expect(output).toHaveAccessibleDescription(/taken is not a directory/);
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await output.fill(`${tmpPath}/named-pkg`);
    await expect(output).toHaveAttribute('aria-invalid', 'false');
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('Package named_pkg');

    // An empty Version is the default its placeholder names, as for `nbtools extract` (a new
    // package: 0.1.0).
    await panel.getByRole('button', { name: '2. Options' }).press('Enter');
    const version = panel.getByRole('textbox', { name: 'Version' });
    await expect(version).toHaveAttribute('placeholder', "the package's, else 0.1.0");
    await version.fill('');
    await panel.getByRole('button', { name: '3. Preview' }).press('Enter');
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('Package named_pkg');
    await expect(alert).toHaveCount(0);
    await panel.getByRole('button', { name: 'pyproject.toml' }).press('Enter');
    await expect(page.locator('.jp-nbtools-FilePage-editor')).toContainText('version = "0.1.0"');
  });

  test('the purpose is an option; the server refusing it shows at its field', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    // A personal dataset only the purpose "care" may use, catalogued with the CLI as people do.
    const status = await (await page.request.get('/nbtools/api/status')).json();
    await upload(page, `${tmpPath}/patients.csv`, 'id,email\n1,a@example.org\n');
    execFileSync('nbtools', [
      '--root',
      status.root,
      'data',
      'add',
      'wizard_patients',
      `${tmpPath}/patients.csv`,
      '--classification',
      'personal',
      '--purpose',
      'care'
    ]);
    const notebook = notebookJson([
      codeCell(
        'fn',
        'import nbtools\n\ndef rows():\n    return nbtools.data.path("wizard_patients")'
      )
    ]);
    await upload(page, `${tmpPath}/care.ipynb`, notebook);
    await openNotebook(page, `${tmpPath}/care.ipynb`);
    const panel = await openSection(page, 'care.ipynb', 'Package');
    await panel.getByRole('button', { name: 'export cell 1', exact: true }).click();
    await panel.getByRole('button', { name: '2. Options' }).click();
    const output = panel.getByRole('textbox', { name: 'Output directory' });
    const purpose = panel.getByRole('textbox', { name: 'Purpose' });
    await output.fill(`${tmpPath}/care-pkg`);
    await output.press('Tab'); // reached with the keyboard, after the output directory
    await expect(purpose).toBeFocused();
    await page.keyboard.type('ads');

    // A purpose the data does not allow: the preview is refused (403), the alert leads back to
    // the field, which shows the server's message as its description.
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText("may not be used for the purpose 'ads'");
    await alert.getByRole('button', { name: 'Change it in Options' }).press('Enter');
    await expect(alert).toHaveCount(0);
    await expect(purpose).toHaveAttribute('aria-invalid', 'true');
    await expect(purpose).toHaveAccessibleName('Purpose');
    await expect(purpose).toHaveAccessibleDescription(
      /Dataset 'wizard_patients' \(personal\) may not be used for the purpose 'ads': its allowed purposes are care\./
    );
    await expect(purpose).toBeFocused();
    await expect(output).toHaveAttribute('aria-invalid', 'false');
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-purpose-error-${theme}`, panel);
    });

    // The allowed purpose, typed: the error goes, and the extraction is sent with it.
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('care');
    await expect(purpose).toHaveAttribute('aria-invalid', 'false');
    const sent = page.waitForRequest(
      request => request.url().includes('/nbtools/api/extract') && request.method() === 'POST'
    );
    await panel.getByRole('button', { name: '3. Preview' }).press('Enter');
    expect((await sent).postDataJSON()).toEqual(expect.objectContaining({ purpose: 'care' }));
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('Package care');
    await expect(alert).toHaveCount(0);
  });

  test('the disabled Back button looks disabled', async ({ tmpPath }) => {
    const page = lab();
    await upload(page, `${tmpPath}/back.ipynb`, exported('back'));
    await openNotebook(page, `${tmpPath}/back.ipynb`);
    const panel = await openSection(page, 'back.ipynb', 'Package');
    const back = panel.getByRole('button', { name: 'Back' });
    const next = panel.getByRole('button', { name: 'Next' });
    await expect(back).toBeDisabled();
    const looks = (button: typeof back) =>
      button.evaluate(node => {
        const style = getComputedStyle(node);
        return { cursor: style.cursor, opacity: style.opacity };
      });
    expect(await looks(back)).toEqual({ cursor: 'not-allowed', opacity: '0.6' });
    await next.click();
    await expect(back).toBeEnabled();
    expect((await looks(back)).cursor).not.toBe('not-allowed');
  });
});
