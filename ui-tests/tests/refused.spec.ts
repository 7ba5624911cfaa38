import { expect } from '@jupyterlab/galata';

import { attachScreenshot, inEachTheme, violations } from './helpers';
import { test } from './fixtures';

/** The dashboard's question: its list of jobs. */
const OVERVIEW = /\/nbtools\/api\/jobs\/overview(\?.*)?$/;

test.describe('a user the server refuses', () => {
  test('a refused view says which permission is missing and asks no more until Retry', async ({
    page
  }, testInfo) => {
    // The page's timers under the test's control: time moves only when the test moves it.
    await page.clock.install();
    const asked: string[] = [];
    page.on('request', request => {
      if (OVERVIEW.test(request.url())) {
        asked.push(new URL(request.url()).search);
      }
    });
    // The test server's authorizer refuses every nbtools action to requests with this header
    // (sent by the page until it is taken off below): a user without `read`.
    await page.setExtraHTTPHeaders({ 'X-Nbtools-Test-Role': 'no-read' });
    const refusedAnswer = page.waitForResponse(
      response => OVERVIEW.test(response.url()) && response.status() === 403
    );
    await page.evaluate(() => window.jupyterapp.commands.execute('nbtools:open-jobs-dashboard'));
    await refusedAnswer;
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    const alert = dashboard.getByRole('alert');
    await expect(alert).toContainText('You need the read permission on nbtools to see this.');
    await expect(alert).toContainText('GET /nbtools/api/jobs/overview'); // the server's message
    await expect(dashboard.getByRole('table')).toHaveCount(0);

    // Many of its turns (5 s apart) pass: none asks again. The test's own question goes after
    // whatever they asked.
    await page.clock.runFor(60_000);
    const marker = page.waitForResponse(response => response.url().includes('overview?marker'));
    await page.evaluate(() => fetch('/nbtools/api/jobs/overview?marker').then(() => undefined));
    await marker;
    expect(asked.filter(query => !query.includes('marker'))).toHaveLength(1);

    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-Dashboard')).toEqual([]);
      await attachScreenshot(page, testInfo, `refused-${theme}`);
    });

    // Granted meanwhile: Retry, reached with the keyboard, asks again and shows the jobs.
    await page.setExtraHTTPHeaders({});
    await alert.getByRole('button', { name: 'Retry' }).focus();
    await page.keyboard.press('Enter');
    await expect(dashboard.getByRole('alert')).toHaveCount(0);
    await expect(dashboard.getByText('Loading the jobs…')).toHaveCount(0);
    expect(asked.filter(query => !query.includes('marker')).length).toBeGreaterThan(1);
  });
});
