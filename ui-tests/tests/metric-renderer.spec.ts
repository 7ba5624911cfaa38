import { expect } from '@jupyterlab/galata';

import { attachScreenshot, notebookJson, openNotebook } from './helpers';
import { sharePage, test } from './fixtures';

const METRIC_MIME = 'application/vnd.nbtools.metric+json';
const HINT = 'Recorded as a metric of scheduled runs of this notebook';

/** A code cell with one display output of the given MIME bundle. */
function displayedCell(id: string, source: string, data: Record<string, unknown>) {
  return {
    cell_type: 'code',
    id,
    metadata: {},
    execution_count: 1,
    source,
    outputs: [{ output_type: 'display_data', data, metadata: {} }]
  };
}

test.describe('Metric renderer', () => {
  const lab = sharePage();

  // The test takes no fixture of its own (the page is the shared one).
  // eslint-disable-next-line no-empty-pattern
  test('shows a metric recorded in a cell as a card', async ({}, testInfo) => {
    const page = lab();
    test.setTimeout(120_000);
    await page.notebook.createNew('metric.ipynb');
    await page.notebook.setCell(0, 'code', 'import nbtools; nbtools.record("accuracy", 0.93)');
    await page.notebook.runCell(0);

    const card = page.getByRole('group', { name: 'Metric accuracy' });
    await expect(card).toBeVisible({ timeout: 60_000 });
    await expect(card.getByRole('term')).toHaveText('accuracy');
    await expect(card.getByRole('definition')).toHaveText('0.93');
    await expect(card).toContainText(HINT);
    // The text/plain form of the same output is not what shows.
    await expect(page.getByText('accuracy = 0.93')).toHaveCount(0);
    await attachScreenshot(page, testInfo, 'metric-card');
  });

  test('renders outputs of an executed (untrusted) notebook and degrades for unknown shapes', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const path = `${tmpPath}/executed.ipynb`;
    const notebook = notebookJson([
      displayedCell('rows', 'record("rows", n, unit="rows")', {
        [METRIC_MIME]: { name: 'rows', value: 1200, unit: 'rows', version: 1 },
        'text/plain': 'rows = 1200 rows'
      }),
      displayedCell('confusion', 'record("confusion", m)', {
        [METRIC_MIME]: { name: 'confusion', value: { tp: 50, fp: 3 }, unit: null, version: 1 },
        'text/plain': 'confusion = {"tp":50,"fp":3}'
      }),
      displayedCell('odd', 'an output of a future payload shape', {
        [METRIC_MIME]: { metric: ['latency', 12] },
        'text/plain': 'latency = 12 ms'
      })
    ]);
    expect(await page.contents.uploadContent(notebook, 'text', path)).toBe(true);
    await openNotebook(page, path);

    const rows = page.getByRole('group', { name: 'Metric rows' });
    await expect(rows.getByRole('definition')).toHaveText('1,200 rows');
    const confusion = page.getByRole('group', { name: 'Metric confusion' });
    await expect(confusion.getByRole('definition')).toHaveText('{"tp":50,"fp":3}');
    // An unknown payload shape shows its plain-text form, not a card.
    await expect(page.getByText('latency = 12 ms')).toBeVisible();
    await expect(
      page.getByText('This metric output has a shape this version cannot show.')
    ).toBeVisible();
    await expect(page.getByRole('group', { name: /^Metric / })).toHaveCount(2);
    await attachScreenshot(page, testInfo, 'metric-executed-notebook');
  });
});
