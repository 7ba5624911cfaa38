import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import {
  attachScreenshot,
  inEachTheme,
  openNotebook,
  productionPanel,
  sectionToggle,
  withoutSchedulers
} from './helpers';
import { test } from './fixtures';

const NOTEBOOK = 'forecast.ipynb';

// ServerConnection appends a cache-busting query string to GET requests.
const STATUS_URL = /\/nbtools\/api\/status(\?.*)?$/;

/**
 * The version the server extension reports: the one of the package, kept in
 * the root package.json only.
 */
const EXPECTED_VERSION: string = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf-8')
).version;

/**
 * A small parametrized notebook: a `parameters` cell and one that uses it.
 */
function forecastNotebook(): string {
  const code = (id: string, source: string, tags: string[] = []) => ({
    cell_type: 'code',
    id,
    metadata: { tags },
    execution_count: null,
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [
      code('parameters', 'horizon = 7\ngrowth = 0.02', ['parameters']),
      code(
        'forecast',
        'forecast = [100 * (1 + growth) ** day for day in range(horizon)]\nforecast[-1]'
      )
    ],
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

async function clickProductionize(page: IJupyterLabPageFixture): Promise<void> {
  const notebook = await page.activity.getPanelLocator(NOTEBOOK);
  expect(notebook).not.toBeNull();
  await notebook!.getByRole('button', { name: 'Productionize', exact: true }).click();
}

test.describe('Productionize', () => {
  // A zone without daylight saving time: its name reads the same on every date.
  test.use({ timezoneId: 'Asia/Kolkata' });

  test.beforeEach(async ({ page, tmpPath }) => {
    const notebookPath = `${tmpPath}/${NOTEBOOK}`;
    expect(await page.contents.uploadContent(forecastNotebook(), 'text', notebookPath)).toBe(true);
    await openNotebook(page, notebookPath);
  });

  test('the toolbar button opens the Production panel with the server status', async ({
    page,
    tmpPath
  }, testInfo) => {
    const panel = productionPanel(page);
    await expect(panel).toBeHidden();

    await clickProductionize(page);

    await expect(panel).toBeVisible();
    // Status starts collapsed, like every section.
    await expect(panel.getByTestId('nbtools-status-version')).toBeHidden();
    await sectionToggle(panel, 'Status').click();
    await expect(panel.getByTestId('nbtools-status-version')).toHaveText(EXPECTED_VERSION);
    const activeNotebook = panel.getByTestId('nbtools-active-notebook');
    await expect(activeNotebook).toHaveText(NOTEBOOK);
    await expect(activeNotebook).toHaveAttribute('title', `${tmpPath}/${NOTEBOOK}`);
    await expect(panel.getByTestId('nbtools-status-schema')).not.toBeEmpty();
    await expect(panel.getByRole('alert')).toHaveCount(0);

    // Asking for the jobs starts the server's scheduler: Status names it, once refreshed,
    // with the time it started in the browser's zone, named as every time of the panel.
    await sectionToggle(panel, 'Jobs').click();
    const schedulers = panel.getByTestId('nbtools-status-schedulers');
    await expect(async () => {
      await panel.getByRole('button', { name: 'Refresh status' }).click();
      await expect(schedulers).toHaveText(
        /^\S+:\d+ \(local executor\), running since \S.* GMT\+5:30$/,
        { timeout: 1_000 }
      );
    }).toPass({ timeout: 30_000 });
    await sectionToggle(panel, 'Jobs').click();

    await inEachTheme(page, theme => attachScreenshot(page, testInfo, `production-panel-${theme}`));
  });

  test('with no scheduler alive, Status says due jobs and queued runs wait', async ({ page }) => {
    await withoutSchedulers(page);
    const panel = productionPanel(page);
    await clickProductionize(page);
    await panel.getByRole('button', { name: 'Refresh status' }).click();
    await sectionToggle(panel, 'Status').click();
    await expect(panel.getByTestId('nbtools-status-schedulers')).toHaveText(
      'None running: due jobs and queued runs wait until one starts.'
    );
  });

  test('a missing server extension shows an alert, and refresh recovers', async ({
    page
  }, testInfo) => {
    // Answer the status request as a Jupyter server without the extension does.
    await page.route(STATUS_URL, route =>
      route.fulfill({ status: 404, contentType: 'text/html', body: '<html>404: Not Found</html>' })
    );
    const panel = productionPanel(page);

    await clickProductionize(page);
    // The status was read at start; asking again finds the extension gone, and Status
    // (collapsed, like every section) expands to say so.
    await panel.getByRole('button', { name: 'Refresh status' }).click();

    const alert = panel.getByRole('alert');
    await expect(alert).toContainText('Server extension not available');
    await expect(alert).toContainText('jupyter server extension enable jupyter_nbtools');
    await attachScreenshot(page, testInfo, 'extension-missing');

    await page.unroute(STATUS_URL);
    await panel.getByRole('button', { name: 'Refresh status' }).click();

    await expect(panel.getByTestId('nbtools-status-version')).toHaveText(EXPECTED_VERSION);
    await expect(alert).toHaveCount(0);
  });
});
