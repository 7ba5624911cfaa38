import { expect, test } from '@jupyterlab/galata';
import type { Locator, Request } from '@playwright/test';

import { attachScreenshot, productionPanel, sectionToggle } from './helpers';

const PANEL_ID = 'nbtools-production-panel';
const SECTIONS = ['Status', 'Versions', 'Package', 'Jobs', 'Environment', 'Alerts'];

/** Check that `expanded` is the one expanded section of the panel. */
async function expectOnlyExpanded(panel: Locator, expanded: string): Promise<void> {
  for (const section of SECTIONS) {
    await expect(sectionToggle(panel, section)).toHaveAttribute(
      'aria-expanded',
      `${section === expanded}`
    );
  }
}

/** A workspace save that records the Jobs section expanded and Status collapsed. */
function savesSections(request: Request): boolean {
  if (request.method() !== 'PUT' || !request.url().includes('/api/workspaces')) {
    return false;
  }
  const saved = request.postDataJSON()?.data?.['jupyterlab-nbtools:production-panel'];
  return (
    saved?.expanded?.['nbtools-jobs'] === true && saved?.expanded?.['nbtools-status'] === false
  );
}

test('only Status is expanded at first; what the user expands stays expanded after a reload', async ({
  page
}, testInfo) => {
  await page.sidebar.openTab(PANEL_ID);
  const panel = productionPanel(page);
  await expectOnlyExpanded(panel, 'Status');
  await expect(panel.getByTestId('nbtools-status-version')).toBeVisible();
  await attachScreenshot(page, testInfo, 'panel-default');

  // Keyboard: Down moves between headers, Enter expands, Space collapses.
  const saved = page.waitForRequest(savesSections);
  await sectionToggle(panel, 'Versions').focus();
  await page.keyboard.press('ArrowDown');
  await expect(sectionToggle(panel, 'Jobs')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(sectionToggle(panel, 'Jobs')).toHaveAttribute('aria-expanded', 'true');
  await expect(panel.getByText('Open a notebook to run it as a job.')).toBeVisible();
  await page.keyboard.press('Home');
  await expect(sectionToggle(panel, 'Status')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(sectionToggle(panel, 'Status')).toHaveAttribute('aria-expanded', 'false');
  await expect(panel.getByTestId('nbtools-status-version')).toBeHidden();
  await saved;

  await page.reload();
  await page.sidebar.openTab(PANEL_ID);
  await expectOnlyExpanded(panel, 'Jobs');
  await expect(panel.getByText('Open a notebook to run it as a job.')).toBeVisible();
  await attachScreenshot(page, testInfo, 'panel-restored');
});
