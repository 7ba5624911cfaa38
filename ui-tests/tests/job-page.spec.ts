import { execFileSync } from 'child_process';

import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookWithJob,
  notification,
  openJobPage,
  openNotebook,
  openSection,
  PARAMETERS_CELL,
  pressTwiceWhileUnanswered,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';

// The tests share one page (sharePage in fixtures.ts).
const lab = sharePage();

test('a job page in the main area: schedule, parameters, runs and charts', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  test.setTimeout(120_000);
  const path = `${tmpPath}/daily.ipynb`;
  await notebookWithJob(
    page,
    path,
    {
      name: 'Daily report',
      parameters: { days: 2, region: 'south' },
      cron: '30 7 * * *',
      timezone: 'America/New_York',
      cell_timeout_seconds: 60,
      retries: 2,
      retry_backoff_seconds: 30,
      keep_runs: '30d'
    },
    [PARAMETERS_CELL, codeCell('b', 'print(region * days)')]
  );
  await openNotebook(page, path);

  const panel = await openSection(page, 'daily.ipynb', 'Jobs');
  const job = panel
    .getByRole('list', { name: 'Jobs' })
    .getByRole('listitem', { name: 'Daily report' });
  // The next run as the schedule reads it (New York's 07:30), then the browser's time
  // (these tests' browsers are not in New York), as the form's preview and the CLI say it.
  const nextRun = /7:30:00\sAM E[SD]T \(.+ here\)/;
  await expect(job).toContainText(nextRun);
  await job.getByRole('button', { name: 'Open page' }).click();

  await expect(page.getByRole('tab', { name: 'Job: Daily report' })).toBeVisible();
  const jobPage = page.getByRole('article', { name: 'Daily report' });
  const schedule = jobPage.getByRole('region', { name: 'Schedule' });
  await expect(schedule).toContainText('America/New_York');
  await expect(schedule).toContainText('60 s');
  await expect(schedule).toContainText(nextRun);
  // Every option, unset ones as their effect
  for (const [option, value] of [
    ['Retries', '2, the first after 30 s, then doubling'],
    ['Run timeout', 'none'],
    ['Kernel', "the notebook's own"],
    ['Purpose', 'none'],
    ['Keep runs', '30d']
  ]) {
    await expect(schedule.locator('dt', { hasText: option }).locator('+ dd')).toHaveText(value);
  }
  await expect(schedule.locator('dt', { hasText: 'Created' }).locator('+ dd')).toContainText(
    / by \S+/
  );
  const table = jobPage.getByRole('table', { name: 'Parameters' });
  await expect(table.getByRole('row', { name: 'region south' })).toBeVisible();
  await expect(table.getByRole('row', { name: 'days 2' })).toBeVisible();
  await expect(jobPage.getByText('No runs of this job yet.')).toBeVisible();

  await jobPage.getByRole('button', { name: 'Run now' }).click();
  const runs = jobPage.getByRole('table', { name: 'Runs of Daily report' });
  await expect(runs.getByRole('row').nth(1)).toContainText('succeeded', { timeout: 90_000 });
  await expect(jobPage.getByRole('figure', { name: 'Duration over 1 run' })).toBeVisible();
  const widget = page.locator('.jp-nbtools-JobPageWidget');
  await inEachTheme(page, async theme => {
    expect(await violations(page, testInfo, '.jp-nbtools-JobPage')).toEqual([]);
    await attachScreenshot(page, testInfo, `job-page-${theme}`, widget);
  });

  await runs.getByRole('button', { name: /^Open the output of run \d+$/ }).click();
  await expect(page.getByRole('tab', { name: /daily-run-\d+\.ipynb/ })).toBeVisible();
});

test('the job page edits the job in its form, and deletes it after a confirmation', async ({
  tmpPath
}) => {
  const page = lab();
  test.setTimeout(120_000);
  const { id } = await notebookWithJob(
    page,
    `${tmpPath}/weekly.ipynb`,
    { name: 'Weekly page job', cron: '0 8 * * 1' },
    [codeCell('a', 'x = 1')]
  );
  await openJobPage(page, id);
  const jobPage = page.getByRole('article', { name: 'Weekly page job' });
  await expect(jobPage).toBeVisible();

  await jobPage.getByRole('button', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('tab', { name: 'Edit job: Weekly page job' })).toBeVisible();

  await page.getByRole('tab', { name: 'Job: Weekly page job', exact: true }).click();
  await jobPage.getByRole('button', { name: 'Delete', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Delete job "Weekly page job"?');
  await dialog.getByRole('button', { name: 'Keep the job' }).click();
  await expect(jobPage).toBeVisible();
  expect((await page.request.get(`/nbtools/api/jobs/${id}`)).ok()).toBe(true);

  await jobPage.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('tab', { name: 'Job: Weekly page job', exact: true })).toHaveCount(0);
  const listed = await page.request.get('/nbtools/api/jobs');
  const names = ((await listed.json()) as { name: string }[]).map(job => job.name);
  expect(names).not.toContain('Weekly page job');
});

test('a retried run says which attempt it is and which run it retries, in words', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  test.setTimeout(150_000);
  const marker = `attempted-${Date.now()}`;
  const firstFails =
    `import os\nif not os.path.exists(${JSON.stringify(marker)}):\n` +
    `    open(${JSON.stringify(marker)}, 'w').close()\n` +
    "    raise RuntimeError('the first attempt fails')";
  const { id } = await notebookWithJob(
    page,
    `${tmpPath}/flaky.ipynb`,
    { name: 'Flaky page job', retries: 1, retry_backoff_seconds: 2 },
    [codeCell('a', firstFails)]
  );
  await openJobPage(page, id);
  const jobPage = page.getByRole('article', { name: 'Flaky page job' });
  await jobPage.getByRole('button', { name: 'Run now' }).click();
  const runs = jobPage.getByRole('table', { name: 'Runs of Flaky page job' });
  const [retry, first] = [runs.getByRole('row').nth(1), runs.getByRole('row').nth(2)];
  await expect(first.getByTestId('nbtools-run-status')).toHaveText('failed', { timeout: 90_000 });
  await expect(first).toContainText('RuntimeError: the first attempt fails');
  const firstId = (await first.getByRole('rowheader').textContent())!.replace('#', '');
  await expect(retry).toContainText(`attempt 2, retry of #${firstId}`);
  await expect(retry.getByTestId('nbtools-run-status')).toHaveText('succeeded', {
    timeout: 90_000
  });
  await attachScreenshot(page, testInfo, 'job-page-retry', jobPage);
  expect(await violations(page, testInfo, '.jp-nbtools-JobPage')).toEqual([]);
});

/**
 * Leave jobs in the server's store as older versions left them: job `zoned` with its time
 * zone stored as `localtime`, job `ended` with no next run (its schedule had no time left
 * before the year 10000), written into the SQLite store as those versions wrote them.
 */
async function storedByOlderVersions(
  page: IJupyterLabPageFixture,
  zoned: number,
  ended: number
): Promise<void> {
  const status = (await (await page.request.get('/nbtools/api/status')).json()) as {
    db_url: string;
  };
  expect(status.db_url).toMatch(/^sqlite:\/\/\//);
  const script = [
    'import sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1])',
    'db.execute("UPDATE jobs SET timezone = \'localtime\' WHERE id = ?", (int(sys.argv[2]),))',
    'db.execute("UPDATE jobs SET next_run_at = NULL WHERE id = ?", (int(sys.argv[3]),))',
    'db.commit()'
  ].join('\n');
  const file = status.db_url.slice('sqlite:///'.length);
  execFileSync('python3', ['-c', script, file, String(zoned), String(ended)], { stdio: 'pipe' });
}

test("what the server notes about a job's schedule shows where the schedule does", async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  const path = `${tmpPath}/older.ipynb`;
  const zoned = await notebookWithJob(page, path, { name: 'Zoned long ago', cron: '30 6 * * *' });
  const made = await page.request.post('/nbtools/api/jobs', {
    data: { notebook_path: path, name: 'Out of time', cron: '0 6 * * *' }
  });
  expect(made.ok()).toBe(true);
  const ended = (await made.json()) as { id: number };
  await storedByOlderVersions(page, zoned.id, ended.id);
  const zoneNote = /^The job's timezone is stored as 'localtime' \(the machine's own zone/;
  const endNote =
    'Its schedule has no run time left before the calendar ends with the year 9999: it runs only when asked.';

  await openNotebook(page, path);
  const panel = await openSection(page, 'older.ipynb', 'Jobs');
  const jobs = panel.getByRole('list', { name: 'Jobs' });
  await expect(jobs.getByRole('listitem', { name: 'Zoned long ago' }).getByRole('note')).toHaveText(
    zoneNote
  );
  const outOfTime = jobs.getByRole('listitem', { name: 'Out of time' });
  await expect(outOfTime).toContainText('At 06:00 AM (UTC) · no next run');
  await expect(outOfTime.getByRole('note')).toHaveText(endNote);

  await panel.getByRole('button', { name: 'All jobs of the project' }).click();
  const dashboard = page.locator('.jp-nbtools-Dashboard');
  await dashboard.getByRole('searchbox', { name: 'Filter jobs' }).fill(tmpPath);
  const rows = dashboard.getByRole('table', { name: 'Jobs' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: 'Zoned long ago' }).getByRole('note')).toHaveText(zoneNote);
  await expect(rows.filter({ hasText: 'Out of time' }).getByRole('note')).toHaveText(endNote);
  await inEachTheme(page, async theme => {
    expect(await violations(page, testInfo, '.jp-nbtools-Dashboard')).toEqual([]);
    expect(await violations(page, testInfo)).toEqual([]);
    await attachScreenshot(page, testInfo, `schedule-notes-${theme}`);
  });

  // The job pages: the zone's note under When, the next run's under Next run.
  await rows
    .filter({ hasText: 'Out of time' })
    .getByRole('button', { name: 'Out of time' })
    .focus();
  await page.keyboard.press('Enter');
  const facts = (name: string, fact: string) =>
    page
      .getByRole('article', { name })
      .getByRole('region', { name: 'Schedule' })
      .locator('dt', { hasText: fact })
      .locator('+ dd');
  await expect(facts('Out of time', 'Next run')).toHaveText(`—${endNote}`);
  await expect(facts('Out of time', 'Next run').getByRole('note')).toHaveText(endNote);
  await expect(facts('Out of time', 'When').getByRole('note')).toHaveCount(0);
  await openJobPage(page, zoned.id);
  await expect(facts('Zoned long ago', 'When').getByRole('note')).toHaveText(zoneNote);
  await expect(facts('Zoned long ago', 'Next run').getByRole('note')).toHaveCount(0);
  await inEachTheme(page, async theme => {
    expect(await violations(page, testInfo, '.jp-nbtools-JobPage')).toEqual([]);
    await attachScreenshot(page, testInfo, `job-page-zone-note-${theme}`);
  });
});

test.describe('a job page while the job changes', () => {
  // A fresh page: the test holds requests (sharePage's pages never route theirs).
  test('Run now and Pause act once however often they are pressed, keeping the focus; deleted elsewhere, the page turns read-only', async ({
    page,
    tmpPath
  }, testInfo) => {
    const { id, name } = await notebookWithJob(
      page,
      `${tmpPath}/hourly.ipynb`,
      { name: `hourly ${tmpPath}`, cron: '0 * * * *' },
      [codeCell('a', 'x = 1')]
    );
    await openJobPage(page, id);
    const jobPage = page.getByRole('article', { name });
    const pause = jobPage.getByRole('button', { name: 'Pause', exact: true });
    await expect(pause).toBeVisible();

    // Each request is held at the server's door until its button has been pressed twice.
    const runNow = jobPage.getByRole('button', { name: 'Run now', exact: true });
    const run = new RegExp(`/nbtools/api/jobs/${id}/run(\\?.*)?$`);
    await pressTwiceWhileUnanswered(page, runNow, run, 'POST');
    await expect(runNow).toHaveAttribute('aria-disabled', 'false');
    await expect(runNow.locator('.jp-nbtools-Spinner')).toHaveCount(0);
    await expect(runNow).toBeFocused();
    await expect(notification(page, /^Run \d+ of .* is queued\.$/)).toBeVisible();
    const change = new RegExp(`/nbtools/api/jobs/${id}(\\?.*)?$`);
    await pressTwiceWhileUnanswered(page, pause, change, 'PATCH');
    const resume = jobPage.getByRole('button', { name: 'Resume', exact: true });
    await expect(resume).toHaveAttribute('aria-disabled', 'false');
    await expect(resume).toBeFocused();

    // Deleted from another tab (or the CLI): the page says so at its next read, and offers
    // no action that the server would refuse.
    expect((await page.request.delete(`/nbtools/api/jobs/${id}`)).status()).toBe(204);
    await expect(
      jobPage.getByRole('status').filter({ hasText: /^This job was deleted on / })
    ).toContainText('it no longer runs and cannot be changed');
    for (const action of ['Run now', 'Pause', 'Resume', 'Edit', 'Delete']) {
      await expect(jobPage.getByRole('button', { name: action, exact: true })).toHaveCount(0);
    }
    await expect(jobPage.getByRole('region', { name: 'Schedule' })).toContainText(
      `${tmpPath}/hourly.ipynb`
    );
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-JobPage')).toEqual([]);
      await attachScreenshot(page, testInfo, `job-page-deleted-${theme}`, jobPage);
    });
  });
});
