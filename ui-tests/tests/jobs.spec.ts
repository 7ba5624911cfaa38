import { expect, galata, test } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import { attachScreenshot, openSection } from './helpers';

function notebook(parameters: string, body: string): string {
  const cell = (id: string, source: string, tags: string[]) => ({
    cell_type: 'code',
    id,
    metadata: tags.length ? { tags } : {},
    execution_count: null,
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [cell('params', parameters, ['parameters']), cell('body', body, [])],
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

async function open(page: IJupyterLabPageFixture, tmpPath: string, name: string, content: string) {
  const path = `${tmpPath}/${name}`;
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
  expect(await page.notebook.openByPath(path)).toBe(true);
  expect(await page.notebook.activate(name)).toBe(true);
}

test.describe('Jobs section', () => {
  test('runs a notebook with a parameter from the form and opens its output', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(120_000);
    await open(
      page,
      tmpPath,
      'greet.ipynb',
      notebook('city = "Lisbon"\ntimes = 1', 'print(city * times)')
    );
    const panel = await openSection(page, 'greet.ipynb', 'Jobs');

    await panel.getByRole('button', { name: 'Create job' }).click();
    const form = panel.getByRole('form', { name: 'Create job' });
    const times = form.getByRole('spinbutton', { name: 'times' });
    await expect(times).toHaveValue('1');
    await times.fill('3');
    await expect(form.getByRole('textbox', { name: 'city' })).toHaveValue('Lisbon');
    await form.getByRole('radio', { name: 'On a schedule' }).check();
    await expect(form.getByLabel('Next runs')).toContainText('At 06:00 AM', { timeout: 15_000 });
    await form.getByRole('radio', { name: 'Run now (no schedule)' }).check();
    await form.getByRole('button', { name: 'Save and run now' }).click();

    const runs = panel.getByRole('list', { name: 'Runs' });
    const run = runs.getByRole('listitem').first();
    await expect(run.getByTestId('nbtools-run-status')).toHaveText('succeeded', {
      timeout: 60_000
    });
    await expect(run).toContainText('{"times":3}');
    await expect(panel.getByRole('list', { name: 'Jobs' })).toContainText('greet');
    await attachScreenshot(page, testInfo, 'jobs-succeeded');

    await run.getByRole('button', { name: 'Open output' }).click();
    await expect(page.getByRole('tab', { name: /greet-run-\d+\.ipynb/ })).toBeVisible({
      timeout: 15_000
    });
    await expect(page.getByText('LisbonLisbonLisbon')).toBeVisible();
  });

  test('a failing notebook shows its error in the runs list', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(120_000);
    await open(page, tmpPath, 'boom.ipynb', notebook('divisor = 0', '1 / divisor'));
    const panel = await openSection(page, 'boom.ipynb', 'Jobs');

    await panel.getByRole('button', { name: 'Create job' }).click();
    await panel.getByRole('button', { name: 'Save and run now' }).click();

    const run = panel.getByRole('list', { name: 'Runs' }).getByRole('listitem').first();
    await expect(run.getByTestId('nbtools-run-status')).toHaveText('failed', { timeout: 60_000 });
    await expect(run.getByTestId('nbtools-run-error')).toHaveText(
      'ZeroDivisionError: division by zero (cell 1)'
    );
    await expect(run.getByRole('button', { name: 'Rerun' })).toBeVisible();
    await attachScreenshot(page, testInfo, 'jobs-failed');
  });
});

test.describe('Runs list paging', () => {
  // A small page keeps the test fast; users set it under "Runs per page".
  test.use({
    mockSettings: { ...galata.DEFAULT_SETTINGS, 'jupyterlab-nbtools:jobs': { runsPageSize: 2 } }
  });

  test('"Show older runs" adds older runs a page at a time, and all keep updating', async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(120_000);
    await open(page, tmpPath, 'tick.ipynb', notebook('n = 0', 'n + 1'));
    const ids: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const response = await page.request.post('/nbtools/api/runs', {
        data: { notebook_path: `${tmpPath}/tick.ipynb`, parameters: { n } }
      });
      expect(response.ok()).toBe(true);
      ids.push(((await response.json()) as { id: number }).id);
    }
    const newestFirst = ids.reverse().map(id => `Run ${id}`);

    const panel = await openSection(page, 'tick.ipynb', 'Jobs');
    const runs = panel.getByRole('list', { name: 'Runs' }).getByRole('listitem');
    const showOlder = panel.getByRole('button', { name: 'Show older runs' });
    await expect(runs).toHaveCount(2);
    await showOlder.click();
    await expect(runs).toHaveCount(4);
    await showOlder.scrollIntoViewIfNeeded();
    await attachScreenshot(page, testInfo, 'jobs-older-runs');
    await showOlder.click();
    await expect(runs).toHaveCount(5);
    await expect(showOlder).toBeHidden();
    for (const [index, name] of newestFirst.entries()) {
      await expect(runs.nth(index)).toHaveAccessibleName(name);
    }

    // The list refreshes every run shown, the older pages too.
    await expect(
      panel.getByTestId('nbtools-run-status').filter({ hasText: 'succeeded' })
    ).toHaveCount(5, { timeout: 90_000 });
    await expect(runs.last()).toContainText('{"n":1}');
  });
});
