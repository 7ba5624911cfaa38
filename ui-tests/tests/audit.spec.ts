import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';

import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { TestInfo } from '@playwright/test';

import { attachScreenshot, inEachTheme, runFromPalette, violations } from './helpers';
import { sharePage, test } from './fixtures';

/**
 * The audit trail's first page asked for with no filter: only `limit` (and ServerConnection's
 * cache-busting number).
 */
const UNFILTERED_AUDIT_URL = /\/nbtools\/api\/audit\?limit=\d+(&\d+)?$/;

/** An actor who has done nothing on the test servers. */
const NO_ONE = 'no-such-auditor';

/** Run "Show Audit Trail" from the command palette. */
async function showAudit(page: IJupyterLabPageFixture): Promise<void> {
  await runFromPalette(page, 'Show Audit Trail');
  await expect(page.getByRole('tab', { name: 'Audit Trail' })).toBeVisible();
}

/** The view's filters, its pages, a refused filter, in the light and the dark theme. */
async function checkAuditView(page: IJupyterLabPageFixture, testInfo: TestInfo): Promise<void> {
  await showAudit(page);
  const view = page.locator('.jp-nbtools-AuditView');
  const table = view.getByRole('table', { name: 'Audit entries' });
  await expect(table.getByRole('row').nth(1)).toContainText('dataset.add');

  const filters = view.getByRole('form', { name: 'Filter the audit trail' });
  await filters.getByRole('textbox', { name: 'Actor' }).fill('auditor-ana');
  await filters.getByRole('textbox', { name: 'Action' }).fill('dataset.*');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(table.getByRole('row')).toHaveCount(51);
  await expect(table.getByRole('row').nth(1)).toContainText('auditor-ana');
  await expect(table.getByRole('row').nth(1)).toContainText('dataset audited_59');

  // Paged with the keyboard: the button disabled at the last (first) page hands the focus to
  // the other one, never to the page's body.
  const pages = view.getByRole('navigation', { name: 'Audit pages' });
  const older = pages.getByRole('button', { name: 'Older' });
  const newer = pages.getByRole('button', { name: 'Newer' });
  await older.focus();
  await page.keyboard.press('Enter');
  await expect(table.getByRole('row')).toHaveCount(11);
  await expect(table.getByRole('row').last()).toContainText('dataset audited_0');
  await expect(older).toBeDisabled();
  await expect(newer).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(table.getByRole('row').nth(1)).toContainText('dataset audited_59');
  await expect(newer).toBeDisabled();
  await expect(older).toBeFocused();

  // Download CSV, reached with the keyboard: the entries the applied filters select, newest
  // first, as the server's file (its header, then auditor-ana's newest dataset.add).
  const downloaded = page.waitForEvent('download');
  await pages.getByRole('button', { name: 'Download CSV' }).focus();
  await page.keyboard.press('Enter');
  const download = await downloaded;
  expect(download.suggestedFilename()).toBe('nbtools-audit.csv');
  const csv = readFileSync(await download.path(), 'utf-8').split('\r\n');
  expect(csv[0]).toBe('id,at,actor,action,target,summary');
  expect(csv[1]).toMatch(/^\d+,[^,]+,auditor-ana,dataset\.add,dataset audited_59,/);
  expect(csv.filter(line => line !== '')).toHaveLength(61);

  const since = filters.getByRole('textbox', { name: 'Since' });
  await since.fill('last tuesday');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(since).toHaveAttribute('aria-invalid', 'true');
  await expect(view.locator('#jp-nbtools-AuditFilter-since-error')).toContainText('since');
  await since.fill('7d');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(table.getByRole('row')).toHaveCount(51);

  await inEachTheme(page, async theme => {
    expect(await violations(page, testInfo, '.jp-nbtools-AuditView')).toEqual([]);
    await attachScreenshot(page, testInfo, `audit-${theme}`);
  });
}

test.describe('Audit trail', () => {
  const lab = sharePage();

  test('an admin filters and pages the entries', async ({ tmpPath }, testInfo) => {
    const page = lab();
    const status = await page.request.get('/nbtools/api/status');
    const root = ((await status.json()) as { root: string }).root;
    const data = (...args: string[]): void => {
      execFileSync('nbtools', ['--root', root, '--actor', 'auditor-ana', 'data', ...args], {
        stdio: 'pipe'
      });
    };
    // 60 datasets in one sync: 60 `dataset.add` entries by auditor-ana.
    const lines = ['datasets:'];
    for (let index = 0; index < 60; index++) {
      lines.push(`  audited_${index}:`, `    location: ${tmpPath}/audited_${index}.csv`);
    }
    const catalog = `${tmpPath}/catalog.yaml`;
    expect(await page.contents.uploadContent(lines.join('\n'), 'text', catalog)).toBe(true);
    data('sync', '--file', catalog);
    try {
      await checkAuditView(page, testInfo);
    } finally {
      // Leave the catalog empty again, as the first test of data.spec.ts expects it.
      const empty = `${tmpPath}/empty.yaml`;
      expect(await page.contents.uploadContent('datasets: {}\n', 'text', empty)).toBe(true);
      data('sync', '--file', empty, '--prune');
    }
  });

  // The test takes no fixture of its own (the page is the shared one).
  // eslint-disable-next-line no-empty-pattern
  test('an empty trail says so and what adds entries; filters matching nothing say that', async ({}, testInfo) => {
    const page = lab();
    // Earlier tests of this server have made entries, and the trail is append-only: the
    // unfiltered request is answered with what the server answers when no entry matches
    // (the route is the shared page's context's, undone after the test).
    const none = await page.request.get(`/nbtools/api/audit?actor=${NO_ONE}`);
    expect(none.ok(), await none.text()).toBe(true);
    const body = await none.text();
    expect(JSON.parse(body)).toEqual([]);
    await page
      .context()
      .route(UNFILTERED_AUDIT_URL, route =>
        route.fulfill({ status: 200, contentType: 'application/json', body })
      );
    await showAudit(page);
    const view = page.locator('.jp-nbtools-AuditView');
    await expect(view).toContainText('No audit entries yet.');
    await expect(view).toContainText('creates, edits or runs a job');
    await expect(view).not.toContainText('match these filters');
    await attachScreenshot(page, testInfo, 'audit-empty');

    // A filter that matches nothing (the real server's answer): the filters are what to change.
    const filters = view.getByRole('form', { name: 'Filter the audit trail' });
    await filters.getByRole('textbox', { name: 'Actor' }).fill(NO_ONE);
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect(view).toContainText('No entries match these filters.');
    await expect(view).not.toContainText('No audit entries yet.');
  });

  // The test takes no fixture of its own (the page is the shared one).
  // eslint-disable-next-line no-empty-pattern
  test('a user without the admin permission is told so', async ({}, testInfo) => {
    const page = lab();
    // The test server's authorizer refuses `admin` to requests with this header (sent by
    // the page until its reset).
    await page.setExtraHTTPHeaders({ 'X-Nbtools-Test-Role': 'no-admin' });
    await showAudit(page);
    const view = page.locator('.jp-nbtools-AuditView');
    await expect(view.getByRole('alert')).toContainText(
      'You are not allowed to read the audit trail.'
    );
    await expect(view.getByRole('alert')).toContainText('admin permission');
    await expect(view.getByRole('table')).toHaveCount(0);
    expect(await violations(page, testInfo, '.jp-nbtools-AuditView')).toEqual([]);
    await attachScreenshot(page, testInfo, 'audit-refused');
  });
});
