import { expect } from '@jupyterlab/galata';

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
import { narrowSidebar, overflowing, wrappedButtons } from './layoutChecks';
import { test } from './fixtures';
import { upload } from './wizard';

/*
 * The Package wizard asked to write one notebook of a set without the others, into the set's
 * package (docs/export.md, "A package from several notebooks"): the server refuses it (409,
 * details.field "notebooks"), and the wizard shows why at "Include other notebooks".
 */
test.describe('Package wizard: a write dropping notebooks of a set', () => {
  // Its own page: the sidebar narrowed to its minimum width (250 px) stays so.
  test.use({ viewport: { width: 1280, height: 720 } });

  test('is refused at "Include other notebooks", naming them; including them writes the set', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(240_000);
    const core = `${tmpPath}/nbs/00_core.ipynb`;
    const b = `${tmpPath}/nbs/01_b.ipynb`;
    await upload(
      page,
      core,
      notebookJson([
        codeCell('dx', '#| default_exp core'),
        codeCell('add', '#| export\ndef add(a, b):\n    return a + b')
      ])
    );
    await upload(
      page,
      b,
      notebookJson([
        codeCell('dx', '#| default_exp b'),
        codeCell('twice', '#| export\ndef twice(x):\n    return x * 2'),
        { ...codeCell('check', 'assert twice(2) == 4'), metadata: { tags: ['test'] } }
      ])
    );
    await openNotebook(page, b);
    const panel = await openSection(page, '01_b.ipynb', 'Package');
    await narrowSidebar(page);
    const sidebar = await page
      .locator('#nbtools-production-panel')
      .evaluate(node => node.getBoundingClientRect().width);
    expect(sidebar).toBeLessThanOrEqual(250);

    // The user means one package of both notebooks, named mylib (nbs/mylib)...
    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Package name' }).fill('mylib');
    const include = panel.getByRole('group', { name: 'Include other notebooks' });
    const other = include.getByRole('checkbox', { name: '00_core.ipynb' });
    await other.check();
    await expect(include).toContainText('One package of 2 notebooks');
    // ...which is written so (as `nbtools extract nbs --name mylib` writes it)...
    const output = `${tmpPath}/nbs/mylib`;
    const written = await page.request.post('/nbtools/api/extract', {
      data: { path: core, notebooks: [core, b], name: 'mylib', dry_run: false }
    });
    expect(written.ok(), await written.text()).toBe(true);
    expect((await written.json()).output).toBe(output);
    // ...then 00_core.ipynb left out: 01_b.ipynb alone would go into the set's package.
    await other.uncheck();
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);

    // Was: the server's words, naming a command line and a --force the wizard has no field for.
    const alert = panel.getByRole('alert');
    const refusal =
      `Not written: ${output} holds the package of this notebook's set, and writing ` +
      `without ${core} would remove what it exports from it. Include ${core} again, or ` +
      'write without it to drop it from the package.';
    await expect(alert).toContainText(refusal);
    await expect(alert).not.toContainText('nbtools extract');
    await expect(panel.getByTestId('nbtools-test-summary')).toHaveCount(0);
    await alert.getByRole('button', { name: 'Change it in Options' }).click();
    await expect(alert).toHaveCount(0); // shown at its field instead
    await expect(include).toHaveAccessibleDescription(refusal);
    // The notebook it would drop is the field to change: focused, invalid, described by why.
    await expect(other).toBeFocused();
    await expect(other).not.toBeChecked();
    await expect(other).toHaveAttribute('aria-invalid', 'true');
    await expect(other).toHaveAccessibleDescription(refusal);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      expect(await overflowing(page, 2)).toEqual([]);
      expect(await wrappedButtons(page)).toEqual([]);
      await include.scrollIntoViewIfNeeded();
      await attachScreenshot(page, testInfo, `wizard-set-drop-refused-250-${theme}`, panel);
    });

    // Enter in a text field of the form does not press "Write without it" (a button in it).
    await panel.getByRole('textbox', { name: 'Package name' }).press('Enter');
    await expect(panel.getByRole('button', { name: '2. Options' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await other.focus();

    // Included again, from the keyboard: the refusal goes, and the write updates the set.
    await page.keyboard.press('Space');
    await expect(other).toBeChecked();
    await expect(include).not.toHaveAccessibleDescription(/Not written/);
    await expect(other).toHaveAttribute('aria-invalid', 'false');
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${output}. 1 passed`,
      { timeout: 60_000 }
    );
    await expect(alert).toHaveCount(0);
    expect(await page.contents.fileExists(`${output}/src/mylib/core.py`)).toBe(true);

    // Left out again and refused again: "Write without it" writes 01_b.ipynb alone (force).
    await panel.getByRole('button', { name: '2. Options' }).click();
    await other.uncheck();
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    await alert.getByRole('button', { name: 'Change it in Options' }).click();
    await expect(other).toBeFocused();
    await include.getByRole('button', { name: 'Write without it' }).click();
    await expect(panel.getByRole('button', { name: '4. Write and test' })).toHaveAttribute(
      'aria-current',
      'step'
    );
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${output}. 1 passed`,
      { timeout: 60_000 }
    );
    await expect(alert).toHaveCount(0);
    expect(await page.contents.fileExists(`${output}/src/mylib/core.py`)).toBe(false);
  });
});
