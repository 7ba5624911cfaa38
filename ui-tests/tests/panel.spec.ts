import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Request } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openPalette,
  openSection,
  productionPanel,
  runOnce,
  sectionToggle,
  violations
} from './helpers';
import { datasetsSharingLocations } from './serverState';
import { sharePage, test } from './fixtures';

const PANEL_ID = 'nbtools-production-panel';
const SECTIONS = ['Status', 'Versions', 'Package', 'Jobs', 'Environment', 'Alerts', 'Data'];

/** Check that `expanded` is the one expanded section of the panel (`null`: none is). */
async function expectOnlyExpanded(panel: Locator, expanded: string | null): Promise<void> {
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

test('every section starts collapsed; what the user expands stays expanded after a reload', async ({
  page
}, testInfo) => {
  await page.sidebar.openTab(PANEL_ID);
  const panel = productionPanel(page);
  await expectOnlyExpanded(panel, null);
  await expect(panel.getByTestId('nbtools-status-version')).toBeHidden();
  await attachScreenshot(page, testInfo, 'panel-default');

  // Keyboard: Down moves between headers, Enter expands, Space collapses.
  const saved = page.waitForRequest(savesSections);
  await sectionToggle(panel, 'Package').focus();
  await page.keyboard.press('ArrowDown');
  await expect(sectionToggle(panel, 'Jobs')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(sectionToggle(panel, 'Jobs')).toHaveAttribute('aria-expanded', 'true');
  await expect(panel.getByText('Open a notebook to run it as a job.')).toBeVisible();
  await page.keyboard.press('Home');
  await expect(sectionToggle(panel, 'Status')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByTestId('nbtools-status-version')).toBeVisible();
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

test('the Status section names each location datasets share, with its datasets and what to do, light and dark', async ({
  page,
  tmpPath
}, testInfo) => {
  // Shared locations need a catalog an older nbtools wrote: its rows, as its upgrade kept them.
  const remove = await datasetsSharingLocations(page, {
    's3://Bucket/x.csv': ['raw', 'raw_copy', 'x'],
    '/srv/data/shared/sales-2026.parquet': ['sales', 'sales_old']
  });
  try {
    const path = `${tmpPath}/status.ipynb`;
    expect(await page.contents.uploadContent(notebookJson([]), 'text', path)).toBe(true);
    await openNotebook(page, path);
    const panel = await openSection(page, 'status.ipynb', 'Status');
    // The page may have read the status before the datasets were there.
    await panel.getByRole('button', { name: 'Refresh status' }).click();
    const status = panel.locator('dl[aria-label="Server status"]');
    await expect(status.getByRole('term').last()).toHaveText('Shared locations');
    const shared = status.getByRole('list', { name: 'Locations shared by datasets' });
    // by location, as the server lists them
    await expect(shared.getByRole('listitem')).toHaveText([
      '/srv/data/shared/sales-2026.parquet: sales, sales_old',
      's3://Bucket/x.csv: raw, raw_copy, x'
    ]);
    const told = status.getByRole('definition').last();
    await expect(told).toHaveText(
      "Warning: 5 datasets share 2 locations (kept from an older version's catalog):" +
        '/srv/data/shared/sales-2026.parquet: sales, sales_olds3://Bucket/x.csv: raw, raw_copy, x' +
        'Give each its own location (nbtools data edit NAME --location LOCATION) or remove the extra ones (nbtools data remove NAME).'
    );
    await inEachTheme(page, async theme => {
      // Below its label, across the section's width.
      const [list, fields] = await told.evaluate(node => [
        node.getBoundingClientRect().width,
        node.closest('dl')!.getBoundingClientRect().width
      ]);
      expect(list).toBeGreaterThanOrEqual(fields - 1);
      expect(await violations(page, testInfo, '.jp-nbtools-Status')).toEqual([]);
      await told.scrollIntoViewIfNeeded();
      await attachScreenshot(page, testInfo, `status-shared-locations-${theme}`, panel);
    });
  } finally {
    await remove();
  }
});

test('the keyboard reaches the sections in the order they are shown', async ({ page }) => {
  await page.sidebar.openTab(PANEL_ID);
  const panel = productionPanel(page);
  await sectionToggle(panel, 'Status').focus();
  const reached: string[] = [];
  for (let step = 1; step < SECTIONS.length; step++) {
    await page.keyboard.press('Tab');
    // An expanded section's own controls come before the next header.
    for (let guard = 0; guard < 10; guard++) {
      const label = await page.evaluate(() =>
        document.activeElement?.classList.contains('jp-nbtools-SectionToggle')
          ? (document.activeElement.textContent ?? '')
          : null
      );
      if (label !== null) {
        reached.push(label.trim());
        break;
      }
      await page.keyboard.press('Tab');
    }
  }
  expect(reached).toEqual(SECTIONS.slice(1));
  const tops = await panel
    .locator('.jp-nbtools-SectionToggle')
    .evaluateAll(nodes => nodes.map(node => node.getBoundingClientRect().top));
  expect([...tops].sort((a, b) => a - b)).toEqual(tops);
});

test('a notebook with no runs yet is an empty state, with no failed request', async ({
  page,
  tmpPath
}) => {
  const failed: string[] = [];
  page.on('response', response => {
    if (response.url().includes('/nbtools/api/') && response.status() >= 400) {
      failed.push(`${response.status()} ${response.url()}`);
    }
  });
  const path = `${tmpPath}/never-run.ipynb`;
  expect(
    await page.contents.uploadContent(notebookJson([codeCell('a', 'x = 1')]), 'text', path)
  ).toBe(true);
  await openNotebook(page, path, { kernel: true }); // its Environment section reads the kernel's
  const panel = await openSection(page, 'never-run.ipynb', 'Jobs');
  await expect(panel.getByText('No runs of this notebook yet.')).toBeVisible();
  await sectionToggle(panel, 'Environment').click();
  await expect(panel.getByTestId('nbtools-env-snapshot')).toBeVisible({ timeout: 30_000 });
  expect(failed).toEqual([]);
});

test('collapsed headers show how many versions and jobs the notebook has', async ({
  page,
  tmpPath
}) => {
  const path = `${tmpPath}/counted.ipynb`;
  expect(
    await page.contents.uploadContent(notebookJson([codeCell('a', 'x = 1')]), 'text', path)
  ).toBe(true);
  await openNotebook(page, path);
  await page.sidebar.openTab(PANEL_ID);
  const panel = productionPanel(page);
  await expectOnlyExpanded(panel, null);
  const header = (section: string) => panel.getByRole('heading', { name: `${section} Section` });
  // Uploading is not saving: no version yet.
  await expect(header('Versions').getByRole('status', { name: '0 versions' })).toHaveText('0');
  await expect(header('Jobs').getByRole('status', { name: '0 jobs of this notebook' })).toHaveText(
    '0'
  );
  await page.notebook.setCell(0, 'code', 'x = 2');
  await page.notebook.save();
  const answer = await page.request.get(`/nbtools/api/versions?path=${path}`);
  const saved = ((await answer.json()) as { versions: unknown[] }).versions.length;
  expect(saved).toBeGreaterThan(0);
  await expect(
    header('Versions').getByRole('status', { name: `${saved} version${saved > 1 ? 's' : ''}` })
  ).toHaveText(String(saved));
  await expect(sectionToggle(panel, 'Versions')).toHaveAccessibleName('Versions');
});

/**
 * Upload a one-cell notebook to `path`, run it and copy its output notebook
 * where JupyterLab opens it (`POST runs/{id}/open`); returns the run and the copy.
 */
async function runAndCopyOutput(
  page: IJupyterLabPageFixture,
  path: string
): Promise<{ run: number; output: string }> {
  expect(
    await page.contents.uploadContent(notebookJson([codeCell('a', 'print(1)')]), 'text', path)
  ).toBe(true);
  const run = await runOnce(page, path);
  const opened = await page.request.post(`/nbtools/api/runs/${run}/open`, { data: {} });
  expect(opened.ok()).toBe(true);
  return { run, output: (await opened.json()).path as string };
}

test.describe('Production panel of a notebook', () => {
  const lab = sharePage();

  test('the palette has one Productionize and the production commands', async ({ tmpPath }) => {
    const page = lab();
    // The modal palette hides disabled commands, and these act on the active notebook.
    const path = `${tmpPath}/commands.ipynb`;
    expect(
      await page.contents.uploadContent(notebookJson([codeCell('a', 'x = 1')]), 'text', path)
    ).toBe(true);
    await openNotebook(page, path);
    const palette = await openPalette(page);
    const search = palette.getByRole('textbox');
    await search.fill('Productionize');
    await expect(palette.locator('.lm-CommandPalette-item:visible')).toHaveCount(1);
    for (const label of [
      'Create Job…',
      'Run Notebook Now',
      'Save Version…',
      'Compare with Previous Version',
      'Snapshot Environment',
      'Show Audit Trail'
    ]) {
      await search.fill(label);
      await expect(
        palette.locator('.lm-CommandPalette-item:visible', { hasText: label }).first()
      ).toBeVisible();
    }
    await page.keyboard.press('Escape');
  });

  test('on a run’s output notebook, the panel follows the notebook the run executed', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const path = `${tmpPath}/followed.ipynb`;
    const { run, output } = await runAndCopyOutput(page, path);

    await openNotebook(page, path);
    const panel = await openSection(page, 'followed.ipynb', 'Jobs');
    const label = panel.getByTestId('nbtools-active-notebook');
    await expect(label).toHaveText('followed.ipynb');

    // As the Jobs section's "Open output" does.
    await page.evaluate(async file => {
      await window.jupyterapp.commands.execute('docmanager:open', { path: file });
    }, output);
    await expect(label).toHaveText(`Showing followed.ipynb (this is the output of run ${run})`);
    // The sections are the source notebook's: its runs, with this one.
    await expect(
      panel
        .getByRole('list', { name: 'Runs' })
        .getByRole('listitem', { name: `Run ${run}`, exact: true })
    ).toBeVisible();
    await attachScreenshot(page, testInfo, 'panel-follows-source');

    expect(await page.notebook.activate('followed.ipynb')).toBe(true);
    await expect(label).toHaveText('followed.ipynb');
  });

  test('a renamed or moved output notebook still leads back, by the run named in its metadata', async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(180_000);
    const path = `${tmpPath}/source.ipynb`;
    const { run, output } = await runAndCopyOutput(page, path);
    const moved = `${tmpPath}/monday-figures.ipynb`;
    expect(await page.contents.renameFile(output, moved)).toBe(true);
    // A notebook naming a run that does not exist is an ordinary notebook.
    const stray = JSON.parse(notebookJson([codeCell('a', 'x = 1')])) as {
      metadata: Record<string, unknown>;
    };
    stray.metadata.nbtools = { run_id: 987654321, notebook_path: path };
    const strayPath = `${tmpPath}/stray.ipynb`;
    expect(await page.contents.uploadContent(JSON.stringify(stray), 'text', strayPath)).toBe(true);

    await openNotebook(page, path);
    const panel = await openSection(page, 'source.ipynb', 'Jobs');
    const label = panel.getByTestId('nbtools-active-notebook');
    await expect(label).toHaveText('source.ipynb');

    const open = (file: string) =>
      page.evaluate(async target => {
        await window.jupyterapp.commands.execute('docmanager:open', { path: target });
      }, file);
    await open(moved);
    await expect(label).toHaveText(`Showing source.ipynb (this is the output of run ${run})`);
    await expect(
      panel
        .getByRole('list', { name: 'Runs' })
        .getByRole('listitem', { name: `Run ${run}`, exact: true })
    ).toBeVisible();

    await open(strayPath);
    await expect(label).toHaveText('stray.ipynb');
  });
});
