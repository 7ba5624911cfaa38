import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  notebookJson,
  openNotebook,
  openSection,
  productionPanel,
  runFromPalette,
  sectionToggle,
  violations
} from './helpers';
import { narrowSidebar, overflowing } from './layoutChecks';
import { sharePage, test } from './fixtures';
import { upload } from './wizard';

/** A wide main area beside the sidebar dragged to its minimum width (250 px). */
const VIEWPORT = { width: 1600, height: 900 };

/** A notebook whose one served function makes a small package: `POST /double`. */
const DOUBLER = notebookJson([
  codeCell('double', '#| serve\ndef double(x: float) -> float:\n    return 2 * x')
]);

/** Press Enter on `button` (focused first, as Tab would have left it). */
async function pressEnter(page: IJupyterLabPageFixture, button: Locator): Promise<void> {
  await button.focus();
  await page.keyboard.press('Enter');
}

/** The wizard's current step is step `number`. */
async function atStep(panel: Locator, number: number): Promise<void> {
  await expect(
    panel.getByRole('navigation', { name: 'Productionize steps' }).getByRole('button', {
      name: new RegExp(`^${number}\\. `)
    })
  ).toHaveAttribute('aria-current', 'step');
}

/*
 * The Package wizard walked with the keyboard alone, in the dark theme, the sidebar at its
 * minimum width beside a wide main area: no button that is pressed drops the focus to the page's
 * body (a disabled button loses it; the keyboard user's place is then lost).
 */
test.describe('Package wizard by keyboard, dark theme, sidebar at 250 px', () => {
  // Its own page: the sidebar dragged to its minimum width stays so.
  test.use({ viewport: VIEWPORT });

  test('Back and Next hand the focus to each other at the ends; Write and test, Start preview, Send and Stop keep it', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(240_000);
    await page.theme.setDarkTheme();
    const path = `${tmpPath}/doubler.ipynb`;
    await upload(page, path, DOUBLER);
    await openNotebook(page, path);
    const panel = await openSection(page, 'doubler.ipynb', 'Package');
    await narrowSidebar(page);

    // Next to the last step: Next is then disabled, and the focus is on Back.
    const next = panel.getByRole('button', { name: 'Next', exact: true });
    const back = panel.getByRole('button', { name: 'Back', exact: true });
    await next.focus();
    for (let step = 2; step <= 6; step++) {
      await page.keyboard.press('Enter');
      await atStep(panel, step);
    }
    await expect(next).toBeDisabled();
    await expect(back).toBeFocused();
    // …and Back to the first, the focus then on Next.
    for (let step = 5; step >= 1; step--) {
      await page.keyboard.press('Enter');
      await atStep(panel, step);
    }
    await expect(back).toBeDisabled();
    await expect(next).toBeFocused();

    // Write and test keeps the focus while it writes (a minute, sometimes) and after.
    await pressEnter(page, panel.getByRole('button', { name: '4. Write and test' }));
    const write = panel.getByRole('button', { name: 'Write and test', exact: true });
    await pressEnter(page, write);
    const saveFirst = page.getByRole('dialog').getByRole('button', { name: 'Save and write' });
    const summary = panel.getByTestId('nbtools-test-summary');
    await expect(saveFirst.or(summary).or(panel.getByText('Writing the package'))).toBeVisible();
    if (await saveFirst.isVisible()) {
      await pressEnter(page, saveFirst);
    }
    await expect(summary).toContainText('Written to', { timeout: 90_000 });
    await expect(write).toBeFocused();
    expect(await violations(page, testInfo)).toEqual([]);
    expect(await overflowing(page, 2)).toEqual([]);
    await attachScreenshot(page, testInfo, 'wizard-keyboard-written-dark', panel);

    // Start preview: once the preview runs, Start is disabled and the focus is on Stop.
    await pressEnter(page, next);
    await atStep(panel, 5);
    const start = panel.getByRole('button', { name: 'Start preview' });
    const stop = panel.getByRole('button', { name: 'Stop' });
    await pressEnter(page, start);
    await expect(panel.getByTestId('nbtools-serve-state')).toContainText('Ready at', {
      timeout: 60_000
    });
    await expect(start).toBeDisabled();
    await expect(stop).toBeFocused();

    // Send keeps the focus while the call is under way and after.
    const form = panel.getByRole('form', { name: 'Try it' });
    await form.getByRole('spinbutton', { name: /^x/ }).fill('1.5');
    const send = form.getByRole('button', { name: 'Send' });
    await pressEnter(page, send);
    await expect(panel.getByTestId('nbtools-serve-response-status')).toContainText('Status 200');
    await expect(send).toBeFocused();
    expect(await violations(page, testInfo)).toEqual([]);
    expect(await overflowing(page, 2)).toEqual([]);
    await attachScreenshot(page, testInfo, 'wizard-keyboard-serving-dark', panel);

    // Stop: the focus goes back to Start preview.
    await pressEnter(page, stop);
    await expect(panel.getByTestId('nbtools-serve-state')).toHaveCount(0);
    await expect(stop).toBeDisabled();
    await expect(start).toBeFocused();
  });
});

/*
 * Productionize from the keyboard takes the focus to the wizard (it stayed in the notebook, some
 * 23 Tab presses away), Escape brings it back to the notebook in command mode, where the G
 * shortcuts tag cells, and G then W goes to the wizard again; the palette's tag commands work on
 * the notebook's active cell while the focus is in the wizard.
 */
test.describe('Package wizard reached by keyboard', () => {
  const lab = sharePage();

  test('Productionize focuses the wizard; Escape returns to the notebook, G then W to the wizard', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/reach.ipynb`;
    await upload(
      page,
      path,
      notebookJson([codeCell('a', 'def one():\n    return 1'), codeCell('b', 'one()')])
    );
    await openNotebook(page, path);
    const notebook = (await page.activity.getPanelLocator('reach.ipynb'))!;
    const panel = productionPanel(page);
    const tagsStep = panel
      .getByRole('navigation', { name: 'Productionize steps' })
      .getByRole('button', { name: '1. Tags' });
    const activeCell = notebook.locator('.jp-Notebook.jp-mod-commandMode .jp-Cell.jp-mod-active');

    // The toolbar's Productionize, pressed with Enter: the focus is on the wizard's current step.
    await pressEnter(page, notebook.getByRole('button', { name: 'Productionize', exact: true }));
    await expect(sectionToggle(panel, 'Package')).toHaveAttribute('aria-expanded', 'true');
    await expect(tagsStep).toBeFocused();
    await expect(tagsStep).toHaveAttribute('aria-current', 'step');

    // Escape: back in the notebook, in command mode, on its active cell; G then E tags it.
    await page.keyboard.press('Escape');
    await expect(activeCell).toBeFocused();
    await expect(activeCell).toContainText('def one()');
    await page.keyboard.press('g');
    await page.keyboard.press('e');
    await expect(panel.getByRole('button', { name: 'export cell 1', exact: true })).toHaveAttribute(
      'aria-pressed',
      'true'
    );

    // G then W: the wizard again (the Package section already expanded).
    await page.keyboard.press('g');
    await page.keyboard.press('w');
    await expect(tagsStep).toBeFocused();

    // The palette's Productionize Notebook from the notebook: the wizard has the focus, and
    // the palette's Tag Cell as main still tags the notebook's active cell meanwhile.
    await page.keyboard.press('Escape');
    await expect(activeCell).toBeFocused();
    await runFromPalette(page, 'Productionize Notebook');
    await expect(tagsStep).toBeFocused();
    await runFromPalette(page, 'Tag Cell as main');
    await expect(panel.getByRole('button', { name: 'main cell 1', exact: true })).toHaveAttribute(
      'aria-pressed',
      'true'
    );
    await expect(notebook.locator('.jp-Cell').first().locator('.jp-nbtools-CellRoles')).toHaveText(
      'main'
    );
  });

  test('Open the Production Panel focuses its first section header; Escape returns', async ({
    tmpPath
  }) => {
    const page = lab();
    const path = `${tmpPath}/header.ipynb`;
    await upload(page, path, notebookJson([codeCell('a', 'x = 1')]));
    await openNotebook(page, path);
    const notebook = (await page.activity.getPanelLocator('header.ipynb'))!;
    await notebook.locator('.jp-Cell').first().locator('.jp-InputPrompt').click();
    await runFromPalette(page, 'Open the Production Panel');
    await expect(sectionToggle(productionPanel(page), 'Status')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(
      notebook.locator('.jp-Notebook.jp-mod-commandMode .jp-Cell.jp-mod-active')
    ).toBeFocused();
  });
});
