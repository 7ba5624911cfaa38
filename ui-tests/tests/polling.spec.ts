import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  holdRequests,
  notebookWithJob,
  openJobPage,
  openNotebook,
  openSection,
  productionPanel
} from './helpers';
import { test } from './fixtures';

/** How long a phase watches the requests, in the page's time: longer than any view's turn (5 s at most). */
const WATCH_MS = 7000;

/** The query of the requests that mark where a phase starts and ends (see watch). */
const MARK = 'nbtools-ui-test-mark';

/** The requests of the extension, in the order the page sent them (see recordRequests). */
interface IRequestLog {
  /**
   * Send a marking request from the page and return its place once it is recorded: each
   * request the page sent before it is before it in the log.
   */
  mark: () => Promise<number>;
  /** The paths and queries (after /nbtools/api/) sent between two marks. */
  between: (from: number, to: number) => string[];
}

/**
 * The paths and queries (after /nbtools/api/) of the extension's requests from now on (a
 * query ends with the client's cache-busting number), and the marks between them.
 */
function recordRequests(page: IJupyterLabPageFixture): IRequestLog {
  const seen: { mark: number | null; path: string }[] = [];
  let marks = 0;
  page.on('request', request => {
    const url = new URL(request.url());
    const mark = url.searchParams.get(MARK);
    if (mark !== null) {
      seen.push({ mark: Number(mark), path: '' });
    } else if (url.pathname.startsWith('/nbtools/api/')) {
      seen.push({ mark: null, path: url.pathname.slice(13) + url.search });
    }
  });
  return {
    mark: async () => {
      const mark = ++marks;
      await page.evaluate(
        ([name, value]) => fetch(`/api/status?${name}=${value}`).then(() => undefined),
        [MARK, mark] as const
      );
      await expect.poll(() => seen.findIndex(entry => entry.mark === mark)).toBeGreaterThan(-1);
      return seen.findIndex(entry => entry.mark === mark);
    },
    between: (from, to) =>
      seen
        .slice(from + 1, to)
        .filter(entry => entry.mark === null)
        .map(entry => entry.path)
  };
}

/** The browser tab hidden (another tab in front, a minimised window) or shown again. */
async function setTabHidden(page: IJupyterLabPageFixture, hidden: boolean): Promise<void> {
  await page.evaluate(hide => {
    if (hide) {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      delete (document as { hidden?: boolean }).hidden; // the prototype's getter again
    }
  }, hidden);
}

/**
 * The requests the page sends while `WATCH_MS` of its time pass (its clock installed before
 * it loaded, see the test): the clock is paused a second on (its time runs meanwhile), what
 * was sent before is marked off, the clock is moved on by `WATCH_MS` (each timer due in that
 * time fires, in order), and what was sent until a second mark is the answer. The clock
 * then runs on again.
 */
async function watch(page: IJupyterLabPageFixture, log: IRequestLog): Promise<string[]> {
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  const from = await log.mark();
  await page.clock.runFor(WATCH_MS);
  const to = await log.mark();
  await page.clock.resume();
  return log.between(from, to);
}

test.describe('what the views read again', () => {
  test('only what can be seen is read again: nothing from a hidden browser tab or a tab behind another', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180_000);
    // The page's timers under the test's control from its start (the watcher behind the
    // notifications too): each phase below is WATCH_MS of the page's time, not a wait.
    await page.clock.install();
    await page.reload();
    const path = `${tmpPath}/report.ipynb`;
    const job = await notebookWithJob(page, path, { name: `report ${tmpPath}` });
    const log = recordRequests(page);
    await openNotebook(page, path);
    const panel = await openSection(page, 'report.ipynb', 'Jobs');
    await expect(panel.getByRole('list', { name: 'Jobs' })).toContainText(job.name);
    await panel.getByRole('button', { name: 'All jobs of the project' }).click();
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await expect(dashboard.getByRole('heading', { name: 'Jobs' })).toBeVisible();

    // Everything shown: the dashboard and the Jobs section are read again; the job's
    // collapsed monitoring asks nothing of its own (its badge is the section's count).
    let asked = await watch(page, log);
    expect(asked.filter(p => p.startsWith('jobs/overview')).length).toBeGreaterThan(0);
    expect(asked.filter(p => p.startsWith('jobs?path=')).length).toBeGreaterThan(0);
    expect(asked.filter(p => p.startsWith('alerts/counts')).length).toBeGreaterThan(0);
    expect(asked.filter(p => p.startsWith('alerts?') && p.includes('job='))).toEqual([]);
    expect(asked.filter(p => p.startsWith(`jobs/${job.id}/metrics`))).toEqual([]);

    // A hidden browser tab asks nothing at all.
    await setTabHidden(page, true);
    expect(await watch(page, log)).toEqual([]);
    await setTabHidden(page, false);
    asked = await watch(page, log);
    expect(asked.filter(p => p.startsWith('jobs/overview')).length).toBeGreaterThan(0);

    // The dashboard behind the notebook's tab stops; the Jobs section, still shown, goes on.
    await page.getByRole('tab', { name: 'report.ipynb' }).click();
    await expect(dashboard).toBeHidden();
    asked = await watch(page, log);
    expect(asked.filter(p => p.startsWith('jobs/overview'))).toEqual([]);
    expect(asked.filter(p => p.startsWith('jobs?path=')).length).toBeGreaterThan(0);

    // Expanded, the job's monitoring reads its alerts and charts, until the tab is hidden.
    await panel.getByRole('button', { name: 'Metrics and alerts' }).click();
    asked = await watch(page, log);
    expect(
      asked.filter(p => p.startsWith(`alerts?`) && p.includes(`job=${job.id}`)).length
    ).toBeGreaterThan(0);
    expect(asked.filter(p => p.startsWith(`jobs/${job.id}/metrics`)).length).toBeGreaterThan(0);
    await setTabHidden(page, true);
    expect(await watch(page, log)).toEqual([]);
  });
});

/**
 * With the page's clock paused (`page.clock.install()` before the view opened), hold the
 * view's next question to `url` unanswered while three of its turns (`turnMs` apart) pass,
 * then ask `url` once more from the page: how many questions reached the server's door by
 * then (the held one and the test's own, when no turn asks while its last question is
 * unanswered).
 */
async function askedWhileUnanswered(
  page: IJupyterLabPageFixture,
  url: string,
  turnMs = 3000
): Promise<number> {
  await page.clock.pauseAt(Date.now() + 1000);
  const slow = await holdRequests(page, new RegExp(`${url}(\\?.*)?$`), 'GET');
  await page.clock.runFor(turnMs);
  await slow.arrived();
  await page.clock.runFor(2 * turnMs);
  // The test's own request goes after whatever those turns asked.
  const marker = page.evaluate(path => fetch(`${path}?marker`).then(() => undefined), url);
  await slow.arrived(asked => asked.includes('marker'));
  const asked = await slow.release();
  await marker; // answered before the test ends (which would fail it)
  return asked;
}

test.describe('a slow server', () => {
  test('a job page asks again only once its last question is answered', async ({
    page,
    tmpPath
  }) => {
    const job = await notebookWithJob(page, `${tmpPath}/hourly.ipynb`, {
      name: `hourly ${tmpPath}`,
      cron: '0 * * * *'
    });
    // The page's timers under the test's control: time moves only when the test moves it.
    await page.clock.install();
    await openJobPage(page, job.id);
    await expect(page.getByRole('article', { name: job.name })).toBeVisible();
    expect(await askedWhileUnanswered(page, `/nbtools/api/jobs/${job.id}`)).toBe(2);
  });

  test("a job's metrics and alerts ask again only once their last question is answered", async ({
    page,
    tmpPath
  }) => {
    const path = `${tmpPath}/hourly.ipynb`;
    const job = await notebookWithJob(page, path, {
      name: `hourly ${tmpPath}`,
      cron: '0 * * * *'
    });
    await page.clock.install();
    await openNotebook(page, path);
    const panel = await openSection(page, 'hourly.ipynb', 'Jobs');
    const item = panel.getByRole('listitem', { name: job.name });
    await item.getByRole('button', { name: 'Metrics and alerts' }).click();
    await expect(item.getByText('No finished runs with metrics yet.')).toBeVisible();
    expect(await askedWhileUnanswered(page, `/nbtools/api/jobs/${job.id}/metrics`)).toBe(2);
  });

  test('the Alerts section asks again only once its last question is answered', async ({
    page
  }) => {
    // The page's timers under the test's control from its start: the watcher behind the
    // notifications too, which asks for the same open alerts every 4 s.
    await page.clock.install();
    await page.reload();
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-alerts' })
    );
    const section = productionPanel(page);
    await expect(
      section.getByRole('list', { name: 'Open alerts' }).or(section.getByText('No open alerts.'))
    ).toBeVisible();
    // The section's question, the watcher's and the test's own.
    expect(await askedWhileUnanswered(page, '/nbtools/api/alerts', 5000)).toBe(3);
  });

  test('the dashboard asks whether a scheduler runs only once its last question is answered', async ({
    page
  }) => {
    await page.clock.install();
    // its first question answered, so that its next one is timed when the test moves the clock
    // (on a loaded machine the answer could come after the clock stopped: no next question)
    const answered = page.waitForResponse(
      response => /\/nbtools\/api\/status(\?.*)?$/.test(response.url()) && response.ok()
    );
    await page.evaluate(() => window.jupyterapp.commands.execute('nbtools:open-jobs-dashboard'));
    const dashboard = page.locator('.jp-nbtools-Dashboard');
    await expect(dashboard.getByRole('heading', { name: 'Jobs' })).toBeVisible();
    await answered;
    // Every 30 s while a scheduler runs, every 5 s once a check found none: either way, once.
    expect(await askedWhileUnanswered(page, '/nbtools/api/status', 30_000)).toBe(2);
  });
});
