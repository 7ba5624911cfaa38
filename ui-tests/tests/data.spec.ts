import { execFileSync } from 'child_process';

import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openJobPage,
  openNotebook,
  openSection,
  productionPanel,
  sectionToggle,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';

/** The server's root (where the `nbtools` CLI finds the same project). */
async function serverRoot(page: IJupyterLabPageFixture): Promise<string> {
  return ((await (await page.request.get('/nbtools/api/status')).json()) as { root: string }).root;
}

/** Change the catalog as people do: with the `nbtools` command on the server's project. */
function nbtools(root: string, ...args: string[]): void {
  execFileSync('nbtools', ['--root', root, ...args], { stdio: 'pipe' });
}

/** Open the Production panel with its Data section expanded. */
async function openData(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-data' });
  });
  const panel = productionPanel(page);
  await expect(sectionToggle(panel, 'Data')).toHaveAttribute('aria-expanded', 'true');
  return panel;
}

const PAYMENTS = 'id,customer_payment_amount,booked_on\n1,12.50,2026-01-02\n2,7.25,2026-01-03\n';

test.describe('Data', () => {
  const lab = sharePage();

  test('an empty catalog says how to add a dataset', async () => {
    const page = lab();
    const panel = await openData(page);
    await expect(panel.getByText('No datasets in the catalog yet.')).toBeVisible();
    await expect(panel.getByText('nbtools data add NAME LOCATION')).toBeVisible();
    await expect(panel.getByText('nbtools data sync')).toBeVisible();
  });

  test('search finds a dataset by a column name, with classification badges', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const root = await serverRoot(page);
    expect(await page.contents.uploadContent(PAYMENTS, 'text', `${tmpPath}/tx.csv`)).toBe(true);
    nbtools(
      root,
      'data',
      'add',
      'tx_2026',
      `${tmpPath}/tx.csv`,
      '--classification',
      'personal',
      '--purpose',
      'billing',
      '--description',
      'Card transactions of 2026.'
    );
    nbtools(
      root,
      'data',
      'add',
      'clinic_visits',
      `${tmpPath}/visits.csv`,
      '--classification',
      'sensitive'
    );
    nbtools(
      root,
      'data',
      'add',
      'exchange_rates',
      `${tmpPath}/rates.csv`,
      '--classification',
      'public'
    );
    nbtools(
      root,
      'data',
      'add',
      'ledger',
      `${tmpPath}/ledger.csv`,
      '--description',
      'Payments by customer.'
    );

    const panel = await openData(page);
    await panel.getByRole('button', { name: 'Refresh the data catalog' }).click();
    await expect(panel.getByRole('status', { name: /datasets in the catalog/ })).toHaveText(
      /^\d+$/
    );
    const section = panel.getByRole('region', { name: 'Data Section' });
    const search = section.getByRole('searchbox', { name: 'Search datasets' });
    for (const [words, name, level] of [
      ['clinic', 'clinic_visits', 'sensitive'],
      ['exchange rates', 'exchange_rates', 'public'],
      ['clin', 'clinic_visits', 'sensitive'], // a word's beginning, as it is being typed
      ['exch rat', 'exchange_rates', 'public']
    ]) {
      await search.fill(words);
      const item = section
        .getByRole('list', { name: `Datasets matching “${words}”` })
        .getByRole('listitem')
        .filter({ hasText: name });
      await expect(item.locator('.jp-nbtools-Classification')).toHaveText(level);
    }
    expect(await violations(page, testInfo)).toEqual([]);

    await search.fill('payment');
    const found = section.getByRole('list', { name: 'Datasets matching “payment”' });
    const tx = found.getByRole('listitem').filter({ hasText: 'tx_2026' });
    await expect(tx).toContainText('Columns: customer_payment_amount');
    await expect(tx.locator('.jp-nbtools-Classification')).toHaveText('personal');
    const ledger = found.getByRole('listitem').filter({ hasText: 'ledger' });
    await expect(ledger.locator('.jp-nbtools-Classification')).toHaveText('internal');
    await expect(found.getByRole('listitem')).toHaveCount(2);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `data-search-${theme}`);
    });

    // A query without a word is refused by the server: said under the search box.
    await search.fill('***');
    await expect(search).toHaveAttribute('aria-invalid', 'true');
    await expect(section.locator('#jp-nbtools-DataSearch-error')).toBeVisible();

    await search.fill('zebra quasar');
    await expect(search).toHaveAttribute('aria-invalid', 'false');
    await expect(
      section.getByText('No dataset matches “zebra quasar”', { exact: false })
    ).toBeVisible();
    await expect(section.getByText('nbtools data add NAME LOCATION')).toBeVisible();
  });

  test('a dataset page shows its rules, schema and usage, each usage a link', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const root = await serverRoot(page);
    expect(await page.contents.uploadContent(PAYMENTS, 'text', `${tmpPath}/inv.csv`)).toBe(true);
    nbtools(
      root,
      'data',
      'add',
      'invoices',
      `${tmpPath}/inv.csv`,
      '--classification',
      'personal',
      '--purpose',
      'billing',
      '--retention',
      '90d',
      '--owner',
      'finance-team',
      '--tag',
      'finance'
    );
    const path = `${tmpPath}/bill.ipynb`;
    const reads = "import nbtools.data\nprint(open(nbtools.data.path('invoices')).read())";
    expect(
      await page.contents.uploadContent(notebookJson([codeCell('r', reads)]), 'text', path)
    ).toBe(true);
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { name: 'Billing', notebook_path: path, purpose: 'billing' }
    });
    expect(created.ok()).toBe(true);
    const jobId = ((await created.json()) as { id: number }).id;
    const queued = await page.request.post(`/nbtools/api/jobs/${jobId}/run`, { data: {} });
    expect(queued.ok()).toBe(true);
    const runId = ((await queued.json()) as { id: number }).id;
    await expect
      .poll(
        async () => (await (await page.request.get(`/nbtools/api/runs/${runId}`)).json()).status,
        { timeout: 90_000 }
      )
      .toBe('succeeded');

    const panel = await openData(page);
    await panel.getByRole('searchbox', { name: 'Search datasets' }).fill('invoices');
    await panel.getByRole('button', { name: 'Open dataset invoices' }).click();
    await expect(page.getByRole('tab', { name: 'Dataset: invoices' })).toBeVisible();
    const article = page.getByRole('article', { name: 'Dataset invoices' });
    const about = article.getByRole('region', { name: 'About' });
    await expect(about).toContainText(`${tmpPath}/inv.csv`);
    await expect(about).toContainText('billing');
    await expect(about).toContainText('90d');
    await expect(about).toContainText('finance-team');
    await expect(about.locator('.jp-nbtools-Classification')).toHaveText('personal');
    const columns = article.getByRole('table', { name: 'Columns of invoices' });
    await expect(
      columns.getByRole('row', { name: 'customer_payment_amount number' })
    ).toBeVisible();
    await expect(columns.getByRole('row', { name: 'booked_on date' })).toBeVisible();
    const usage = article.getByRole('region', { name: 'Usage' });
    await expect(
      usage
        .getByRole('list', { name: 'Notebooks using invoices' })
        .getByRole('button', { name: path })
    ).toBeVisible();
    const runs = usage.getByRole('table', { name: 'Runs using invoices' });
    const run = runs.getByRole('row').nth(1);
    await expect(run.getByRole('rowheader')).toHaveText(`#${runId}`);
    await expect(run.getByRole('cell', { name: 'read', exact: true })).toBeVisible();
    await expect(run.getByRole('cell', { name: 'succeeded', exact: true })).toBeVisible();
    await expect(
      usage.getByRole('list', { name: 'Notebook versions using invoices' })
    ).toContainText(`${path}, version 1`);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-DatasetPage')).toEqual([]);
      await attachScreenshot(page, testInfo, `dataset-page-${theme}`);
    });

    // Each usage opens where it lives: the job's page, the run's output, the notebook.
    await usage
      .getByRole('list', { name: 'Jobs using invoices' })
      .getByRole('button', { name: 'Billing' })
      .click();
    await expect(page.getByRole('tab', { name: 'Job: Billing' })).toBeVisible();
    await page.getByRole('tab', { name: 'Dataset: invoices' }).click();
    await runs.getByRole('button', { name: `Open the output of run ${runId}` }).click();
    await expect(page.getByRole('tab', { name: /bill.*\.ipynb/ }).first()).toBeVisible();
  });

  test('a run whose outputs a purge erased, and one retention pruned, say so on every view of them', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(240_000);
    const root = await serverRoot(page);
    expect(await page.contents.uploadContent(PAYMENTS, 'text', `${tmpPath}/pay.csv`)).toBe(true);
    nbtools(
      root,
      'data',
      'add',
      'payments_erased',
      `${tmpPath}/pay.csv`,
      '--classification',
      'personal',
      '--purpose',
      'billing'
    );
    const path = `${tmpPath}/erase.ipynb`;
    const reads = "import nbtools.data\nprint(open(nbtools.data.path('payments_erased')).read())";
    expect(
      await page.contents.uploadContent(notebookJson([codeCell('r', reads)]), 'text', path)
    ).toBe(true);
    // The job keeps its newest run: the prune below deletes the first run's outputs only.
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { name: 'Erased payments', notebook_path: path, purpose: 'billing', keep_runs: '1' }
    });
    expect(created.ok()).toBe(true);
    const jobId = ((await created.json()) as { id: number }).id;
    const runIds: number[] = [];
    for (let i = 0; i < 2; i++) {
      const queued = await page.request.post(`/nbtools/api/jobs/${jobId}/run`, { data: {} });
      expect(queued.ok()).toBe(true);
      const runId = ((await queued.json()) as { id: number }).id;
      await expect
        .poll(
          async () => (await (await page.request.get(`/nbtools/api/runs/${runId}`)).json()).status,
          { timeout: 90_000 }
        )
        .toBe('succeeded');
      runIds.push(runId);
    }
    const [pruned, purged] = runIds;
    // As people do it: retention first (the older run), then the erasure request (the other).
    nbtools(root, 'runs', 'prune', '--yes');
    nbtools(root, 'data', 'usage', 'payments_erased', '--purge', '--yes');
    const erased = 'Output erased .+ \\(purge of the data it used\\)';
    const deleted = 'Output deleted .+ \\(retention\\)';
    const whole = (text: string) => new RegExp(`^${text}$`);

    // The job page: in each run's Output cell, where its Open button was.
    await openJobPage(page, jobId);
    const jobPage = page.getByRole('article', { name: 'Erased payments' });
    const runs = jobPage.getByRole('table', { name: 'Runs of Erased payments' });
    const outputOf = (run: number) =>
      runs.getByRole('row').filter({ has: page.getByRole('rowheader', { name: `#${run}` }) });
    await expect(outputOf(purged).getByRole('cell').nth(4)).toHaveText(whole(erased));
    await expect(outputOf(pruned).getByRole('cell').nth(4)).toHaveText(whole(deleted));
    await expect(runs.getByRole('button', { name: /^Open the output of run/ })).toHaveCount(0);

    // The Jobs section: a line under each run, and no Open output.
    await openNotebook(page, path);
    const panel = await openSection(page, 'erase.ipynb', 'Jobs');
    const list = panel.getByRole('list', { name: 'Runs' });
    await expect(
      list.getByRole('listitem', { name: `Run ${purged}` }).locator('.jp-nbtools-Runs-erased')
    ).toHaveText(whole(erased));
    await expect(
      list.getByRole('listitem', { name: `Run ${pruned}` }).locator('.jp-nbtools-Runs-erased')
    ).toHaveText(whole(deleted));
    await expect(list.getByRole('button', { name: 'Open output' })).toHaveCount(0);

    // The dataset page: beside each run of its usage, which no longer links to an output.
    const data = await openData(page);
    await data.getByRole('searchbox', { name: 'Search datasets' }).fill('payments_erased');
    await data.getByRole('button', { name: 'Open dataset payments_erased' }).click();
    const article = page.getByRole('article', { name: 'Dataset payments_erased' });
    const usage = article.getByRole('table', { name: 'Runs using payments_erased' });
    await expect(usage.getByRole('rowheader', { name: new RegExp(`^#${purged} `) })).toHaveText(
      whole(`#${purged} ${erased}`)
    );
    await expect(usage.getByRole('rowheader', { name: new RegExp(`^#${pruned} `) })).toHaveText(
      whole(`#${pruned} ${deleted}`)
    );
    await expect(usage.getByRole('button', { name: /^Open the output of run/ })).toHaveCount(0);

    // Readable in both themes, on each view.
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-DatasetPage')).toEqual([]);
      await attachScreenshot(page, testInfo, `erased-dataset-page-${theme}`);
      await page.getByRole('tab', { name: 'Job: Erased payments' }).click();
      await expect(outputOf(purged).getByRole('cell').nth(4)).toBeVisible();
      expect(await violations(page, testInfo, '.jp-nbtools-JobPage')).toEqual([]);
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `erased-job-page-${theme}`);
      await page.getByRole('tab', { name: 'Dataset: payments_erased' }).click();
    });
  });
});
