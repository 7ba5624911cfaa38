import { expect } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  notebookJson,
  notebookWithJob,
  openJobPage,
  openNotebook,
  openSection,
  productionPanel,
  sectionToggle
} from './helpers';
import { sharePage, test } from './fixtures';

const NOTEBOOK = 'buttons.ipynb';

/**
 * The buttons of `panel` outside the button convention (docs/workspace.md): a JupyterLab
 * Button with exactly one of accept, warn or minimal; a link button; a toggle showing
 * its state (`aria-pressed`, a wizard step); or a section header's own controls.
 * Each is described by its class and name.
 */
function offConvention(panel: Locator): Promise<string[]> {
  return panel.locator('button').evaluateAll(buttons =>
    buttons
      .filter(button => {
        const classes = button.classList;
        const styles = ['jp-mod-accept', 'jp-mod-warn', 'jp-mod-minimal'].filter(name =>
          classes.contains(name)
        );
        const styled = classes.contains('jp-Button') && styles.length === 1;
        const link = classes.contains('jp-nbtools-LinkButton');
        const toggle =
          button.hasAttribute('aria-pressed') || button.closest('.jp-nbtools-Steps') !== null;
        // A section header: its toggle, and JupyterLab's toolbar buttons (web components
        // whose inner button lives in a shadow root).
        const root = button.getRootNode();
        const host = root instanceof ShadowRoot ? root.host : button;
        const header =
          classes.contains('jp-nbtools-SectionToggle') || host.closest('.jp-Toolbar') !== null;
        return !(styled || link || toggle || header);
      })
      .map(
        button =>
          `${button.className || '(no class)'}: ${button.textContent?.trim() || button.getAttribute('aria-label') || button.getAttribute('title')}`
      )
  );
}

/** Expand (`true`) or collapse (`false`) the panel's section titled `section`. */
async function setExpanded(panel: Locator, section: string, expanded: boolean): Promise<void> {
  const toggle = sectionToggle(panel, section);
  if ((await toggle.getAttribute('aria-expanded')) !== `${expanded}`) {
    await toggle.click();
  }
  await expect(toggle).toHaveAttribute('aria-expanded', `${expanded}`);
}

test('every button of the Production panel follows the button convention', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(240_000);
  const path = `${tmpPath}/${NOTEBOOK}`;
  const parameters = { ...codeCell('p', 'days = 3'), metadata: { tags: ['parameters'] } };
  const exported = {
    ...codeCell('b', 'def twice(x):\n    return 2 * x'),
    metadata: { tags: ['export'] }
  };
  const notebook = notebookJson([parameters, exported]);
  expect(await page.contents.uploadContent(notebook, 'text', path)).toBe(true);
  const created = await page.request.post('/nbtools/api/jobs', {
    data: { name: `Buttons ${Date.now().toString(36)}`, notebook_path: path, cron: '0 6 * * *' }
  });
  expect(created.ok()).toBe(true);
  await openNotebook(page, path, { kernel: true }); // its Environment section reads the kernel's
  await page.notebook.setCell(1, 'code', 'def twice(x):\n    return 2 * x  # saved');
  await page.notebook.save();

  const panel = await openSection(page, NOTEBOOK, 'Status');
  await expect(panel.getByTestId('nbtools-status-version')).toBeVisible();

  await setExpanded(panel, 'Package', true);
  await expect(panel.getByRole('button', { name: 'Next', exact: true })).toBeVisible();
  expect(await offConvention(panel)).toEqual([]);
  await panel.getByRole('button', { name: '3. Preview' }).click();
  await expect(panel.getByTestId('nbtools-preview-summary')).toBeVisible({ timeout: 60_000 });
  expect(await offConvention(panel)).toEqual([]);
  await setExpanded(panel, 'Package', false);

  await setExpanded(panel, 'Jobs', true);
  await expect(panel.getByRole('button', { name: 'Run now' }).first()).toBeVisible();
  expect(await offConvention(panel)).toEqual([]);
  await setExpanded(panel, 'Jobs', false);

  await setExpanded(panel, 'Versions', true);
  await panel
    .getByRole('button', { name: /^Version \d+$/ })
    .first()
    .click();
  await expect(panel.getByRole('button', { name: 'Restore', exact: true })).toBeVisible();
  expect(await offConvention(panel)).toEqual([]);
  await setExpanded(panel, 'Versions', false);

  await setExpanded(panel, 'Environment', true);
  await expect(panel.getByRole('button', { name: 'Recreate…' })).toBeVisible({ timeout: 60_000 });
  expect(await offConvention(panel)).toEqual([]);
  await attachScreenshot(page, testInfo, 'panel-buttons');

  for (const section of ['Alerts', 'Data']) {
    await setExpanded(panel, section, true);
  }
  expect(await offConvention(productionPanel(page))).toEqual([]);
});

test.describe('Buttons of the main-area views', () => {
  const lab = sharePage();

  test('the jobs dashboard, a job page and the job form follow the button convention', async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(180_000);
    const job = await notebookWithJob(page, `${tmpPath}/convention.ipynb`, {
      name: `Convention ${Date.now().toString(36)}`,
      cron: '0 6 * * *'
    });

    await page.evaluate(() => window.jupyterapp.commands.execute('nbtools:open-jobs-dashboard'));
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await expect(dashboard.getByRole('button', { name: job.name })).toBeVisible();
    await dashboard.getByRole('checkbox', { name: `Select ${job.name}` }).check();
    await expect(dashboard.getByRole('button', { name: 'Pause', exact: true })).toBeEnabled();
    expect(await offConvention(dashboard)).toEqual([]);

    await openJobPage(page, job.id);
    const jobPage = page.locator('.jp-nbtools-JobPage:visible');
    await expect(jobPage.getByRole('button', { name: 'Run now' })).toBeVisible();
    expect(await offConvention(jobPage)).toEqual([]);

    await jobPage.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit job' });
    await expect(form.getByRole('button', { name: 'Save' })).toBeVisible();
    expect(await offConvention(form)).toEqual([]);
  });
});
