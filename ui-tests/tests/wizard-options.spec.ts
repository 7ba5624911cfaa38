import { expect } from '@jupyterlab/galata';

import { attachScreenshot, inEachTheme, openNotebook, openSection, violations } from './helpers';
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

    // An empty Version is the default its placeholder names, as for `nbtools extract`.
    await panel.getByRole('button', { name: '2. Options' }).press('Enter');
    const version = panel.getByRole('textbox', { name: 'Version' });
    await expect(version).toHaveAttribute('placeholder', '0.1.0 (the default)');
    await version.fill('');
    await panel.getByRole('button', { name: '3. Preview' }).press('Enter');
    await expect(panel.getByTestId('nbtools-preview-summary')).toContainText('Package named_pkg');
    await expect(alert).toHaveCount(0);
    await panel.getByRole('button', { name: 'pyproject.toml' }).press('Enter');
    await expect(page.locator('.jp-nbtools-FilePage-editor')).toContainText('version = "0.1.0"');
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
