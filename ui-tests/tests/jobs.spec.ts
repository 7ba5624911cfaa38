import { expect, galata } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  attachScreenshot,
  holdRequests,
  inEachTheme,
  notebookWithJob,
  notification,
  openNotebook,
  openSection,
  pressTwiceWhileUnanswered,
  productionPanel,
  runNowFromForm,
  sectionToggle,
  violations,
  withoutSchedulers
} from './helpers';
import { sharePage, test } from './fixtures';

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
  await openNotebook(page, path);
}

test.describe('Jobs section', () => {
  const lab = sharePage();

  test('runs a notebook with a parameter from the form and opens its output', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(120_000);
    await open(
      page,
      tmpPath,
      'greet.ipynb',
      notebook('city = "Lisbon"\ntimes = 1', 'print(city * times)')
    );
    const panel = await openSection(page, 'greet.ipynb', 'Jobs');

    await panel.getByRole('button', { name: 'Create job' }).click();
    const form = page.getByRole('form', { name: 'Create job' });
    const times = form.getByRole('spinbutton', { name: 'times' });
    await expect(times).toHaveValue('1');
    await times.fill('3');
    await expect(form.getByRole('textbox', { name: 'city' })).toHaveValue('Lisbon');
    await form.getByRole('radio', { name: 'Recurring, on a schedule (saved as a job)' }).check();
    await expect(form.getByLabel('Next runs')).toContainText('At 06:00 AM', { timeout: 15_000 });
    await expect(form.getByRole('textbox', { name: 'Job name' })).toHaveValue('greet');
    await form
      .getByRole('radio', { name: 'Once, now (a run of the notebook; no job is saved)' })
      .check();
    await expect(form.getByRole('textbox', { name: 'Job name' })).toHaveCount(0);
    await runNowFromForm(page, form);

    const runs = panel.getByRole('list', { name: 'Runs' });
    const run = runs.getByRole('listitem').first();
    await expect(run.getByTestId('nbtools-run-status')).toHaveText('succeeded', {
      timeout: 60_000
    });
    await expect(run).toContainText('{"times":3}');
    // Its end is told as its start was: by the notebook's path (a job's run, by the job's name).
    await expect(notification(page, `of ${tmpPath}/greet.ipynb succeeded.`)).toBeVisible({
      timeout: 15_000
    });
    // A one-off run is a run, not a job definition.
    await expect(panel.getByRole('list', { name: 'Jobs' })).toHaveCount(0);
    const jobs = await page.request.get(`/nbtools/api/jobs?path=${tmpPath}/greet.ipynb`);
    expect(await jobs.json()).toEqual([]);
    await attachScreenshot(page, testInfo, 'jobs-succeeded');

    await run.getByRole('button', { name: 'Open output' }).click();
    await expect(page.getByRole('tab', { name: /greet-run-\d+\.ipynb/ })).toBeVisible({
      timeout: 15_000
    });
    await expect(page.getByText('LisbonLisbonLisbon')).toBeVisible();
  });

  test('a run error names its cell as JupyterLab numbers it and opens the output there', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(120_000);
    await open(page, tmpPath, 'boom.ipynb', notebook('divisor = 0', '1 / divisor'));
    const panel = await openSection(page, 'boom.ipynb', 'Jobs');

    await panel.getByRole('button', { name: 'Create job' }).click();
    await runNowFromForm(page, page.getByRole('form', { name: 'Create job' }));

    const run = panel.getByRole('list', { name: 'Runs' }).getByRole('listitem').first();
    await expect(run.getByTestId('nbtools-run-status')).toHaveText('failed', { timeout: 60_000 });
    const error = run.getByTestId('nbtools-run-error');
    await expect(error).toHaveText('ZeroDivisionError: division by zero cell 2');
    await expect(run.getByRole('button', { name: 'Rerun' })).toBeVisible();
    await attachScreenshot(page, testInfo, 'jobs-failed');

    // The link opens the executed notebook (with papermill's added cells) at that cell.
    await error.getByRole('button', { name: 'cell 2' }).click();
    await expect(page.getByRole('tab', { name: /boom-run-\d+\.ipynb/ })).toBeVisible({
      timeout: 15_000
    });
    const output = page.locator('.jp-NotebookPanel:visible');
    await expect(output.locator('.jp-Cell.jp-mod-active')).toContainText('1 / divisor');
    await expect(output.locator('.jp-Cell.jp-mod-active')).toBeInViewport();
  });

  test("Rerun is refused, saying why, once the notebook no longer declares the run's parameter", async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(120_000);
    const path = `${tmpPath}/twice.ipynb`;
    await open(page, tmpPath, 'twice.ipynb', notebook('n = 1', 'n * 2'));
    const panel = await openSection(page, 'twice.ipynb', 'Jobs');
    const queued = await page.request.post('/nbtools/api/runs', {
      data: { notebook_path: path, parameters: { n: 3 } }
    });
    expect(queued.status()).toBe(202);
    const runs = panel.getByRole('list', { name: 'Runs' });
    await expect(runs.getByTestId('nbtools-run-status')).toHaveText('succeeded', {
      timeout: 60_000
    });
    // The parameter is renamed on disk: the run's n=3 would fail when it started.
    const saved = await page.request.put(`/api/contents/${path}`, {
      data: { type: 'notebook', format: 'json', content: JSON.parse(notebook('m = 1', 'm * 2')) }
    });
    expect(saved.ok()).toBe(true);
    await runs.getByRole('listitem').first().getByRole('button', { name: 'Rerun' }).click();
    await expect(notification(page, "Unknown parameter 'n'. Valid parameters: m.")).toBeVisible();
    await expect(runs.getByRole('listitem')).toHaveCount(1);
  });

  test('a job has a unique name, shown in the list; deleting it asks first', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await open(page, tmpPath, 'report.ipynb', notebook('days = 1', 'days'));
    const panel = await openSection(page, 'report.ipynb', 'Jobs');
    await panel.getByRole('button', { name: 'Create job' }).click();
    let form = page.getByRole('form', { name: 'Create job' });
    await form.getByRole('radio', { name: 'Recurring, on a schedule (saved as a job)' }).check();
    const name = form.getByRole('textbox', { name: 'Job name' });
    await expect(name).toHaveValue('report');
    await name.fill('');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toBeFocused();
    await expect(form.getByText('A job needs a name.')).toBeVisible();
    await name.fill('Morning report');
    await expect(form.getByText('A job needs a name.')).toHaveCount(0);
    await form.getByRole('button', { name: 'Create job' }).click();
    const jobs = panel.getByRole('list', { name: 'Jobs' });
    await expect(jobs.getByRole('listitem', { name: 'Morning report' })).toBeVisible();

    // A second job: the name is taken, the server says so under the field.
    await panel.getByRole('button', { name: 'Create job' }).click();
    form = page.getByRole('form', { name: 'Create job' });
    await form.getByRole('radio', { name: 'Recurring, on a schedule (saved as a job)' }).check();
    await form.getByRole('textbox', { name: 'Job name' }).fill('Morning report');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(form.getByText("Another job is named 'Morning report'")).toBeVisible();
    await expect(form.getByRole('textbox', { name: 'Job name' })).toHaveAttribute(
      'aria-invalid',
      'true'
    );
    await form.getByRole('button', { name: 'Cancel' }).click();

    const job = jobs.getByRole('listitem', { name: 'Morning report' });
    await job.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Delete job "Morning report"?');
    await expect(dialog).toContainText('stay readable in the run history');
    await attachScreenshot(page, testInfo, 'jobs-delete-dialog');
    await dialog.getByRole('button', { name: 'Keep the job' }).click();
    await expect(job).toBeVisible();
    await job.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(panel.getByRole('list', { name: 'Jobs' })).toHaveCount(0);
  });
});

/** The count in the Jobs section's header, whatever it says. */
function jobsCount(page: IJupyterLabPageFixture) {
  return productionPanel(page).getByRole('status', { name: /^\d+ jobs? of this notebook$/ });
}

test.describe('Jobs section messages', () => {
  test('a load error shows instead of the lists and the count, until the runs load again', async ({
    page,
    tmpPath
  }, testInfo) => {
    await open(page, tmpPath, 'flaky.ipynb', notebook('n = 1', 'n'));
    let failing = true;
    await page.route(/\/nbtools\/api\/runs\?/, route =>
      failing
        ? route.fulfill({
            status: 500,
            json: { error: 'InternalError', message: 'The store is restarting.', details: {} }
          })
        : route.fallback()
    );
    const panel = await openSection(page, 'flaky.ipynb', 'Jobs');
    const error = panel.getByRole('alert');
    await expect(error).toContainText('Could not load the jobs');
    await expect(error).toContainText('The store is restarting.');
    // Not known: neither "no runs" nor a count of 0.
    await expect(panel.getByText('No runs of this notebook yet.')).toHaveCount(0);
    await expect(jobsCount(page)).toHaveCount(0);
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-Jobs')).toEqual([]);
      await attachScreenshot(page, testInfo, `jobs-load-error-${theme}`, panel);
    });

    failing = false;
    await expect(error).toHaveCount(0);
    await expect(panel.getByText('No runs of this notebook yet.')).toBeVisible();
    await expect(jobsCount(page)).toHaveAccessibleName('0 jobs of this notebook');
  });

  test("back on a notebook while the other one's jobs load, its own jobs and count show", async ({
    page,
    tmpPath
  }) => {
    const busy = `${tmpPath}/busy.ipynb`;
    await notebookWithJob(page, busy, { name: `first ${tmpPath}` });
    const second = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: busy, name: `second ${tmpPath}` }
    });
    expect(second.ok()).toBe(true);
    expect(
      await page.contents.uploadContent(notebook('n = 1', 'n'), 'text', `${tmpPath}/idle.ipynb`)
    ).toBe(true);
    await openNotebook(page, `${tmpPath}/idle.ipynb`);
    await openNotebook(page, busy);
    const notebookPanel = await page.activity.getPanelLocator('busy.ipynb');
    await notebookPanel!.getByRole('button', { name: 'Productionize', exact: true }).click();
    // The Jobs section collapsed: its count is all it shows, and it is not read again on a timer.
    const panel = productionPanel(page);
    const toggle = sectionToggle(panel, 'Jobs');
    if ((await toggle.getAttribute('aria-expanded')) === 'true') {
      await toggle.click();
    }
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(jobsCount(page)).toHaveAccessibleName('2 jobs of this notebook');

    // A slow server: idle.ipynb's jobs are still loading when busy.ipynb is shown again.
    const slow = await holdRequests(page, /\/nbtools\/api\/jobs\?path=/);
    const active = panel.getByTestId('nbtools-active-notebook');
    await page.getByRole('tab', { name: 'idle.ipynb' }).click();
    await expect(active).toHaveText('idle.ipynb');
    await slow.arrived(url => url.includes('idle.ipynb'));
    await page.getByRole('tab', { name: 'busy.ipynb' }).click();
    await expect(active).toHaveText('busy.ipynb');
    await slow.release();
    await expect(jobsCount(page)).toHaveAccessibleName('2 jobs of this notebook');
    await toggle.click();
    await expect(panel.getByRole('list', { name: 'Jobs' }).getByRole('listitem')).toHaveCount(2);
  });

  test('Run now, Pause and Resume act once: pressed again while under way, nothing more is sent', async ({
    page,
    tmpPath
  }) => {
    const path = `${tmpPath}/nightly.ipynb`;
    const job = await notebookWithJob(page, path, {
      name: `nightly ${tmpPath}`,
      cron: '0 3 * * *',
      paused: true
    });
    await openNotebook(page, path);
    const panel = await openSection(page, 'nightly.ipynb', 'Jobs');
    const item = panel.getByRole('listitem', { name: job.name });
    const resume = item.getByRole('button', { name: 'Resume', exact: true });
    await expect(resume).toBeVisible();

    // Each request is held at the server's door until the button has been pressed twice.
    const runNow = item.getByRole('button', { name: 'Run now', exact: true });
    const run = new RegExp(`/nbtools/api/jobs/${job.id}/run(\\?.*)?$`);
    await pressTwiceWhileUnanswered(page, runNow, run, 'POST');
    await expect(runNow).toHaveAttribute('aria-disabled', 'false');
    await expect(runNow).toBeFocused();
    await expect(panel.getByRole('list', { name: 'Runs' }).getByRole('listitem')).toHaveCount(1);
    const change = new RegExp(`/nbtools/api/jobs/${job.id}(\\?.*)?$`);
    await pressTwiceWhileUnanswered(page, resume, change, 'PATCH');
    const pause = item.getByRole('button', { name: 'Pause', exact: true });
    await expect(pause).toHaveAttribute('aria-disabled', 'false');
    await expect(pause).toBeFocused();
    const saved = await page.request.get(`/nbtools/api/jobs/${job.id}`);
    expect(((await saved.json()) as { paused: boolean }).paused).toBe(false);
  });

  test('with no scheduler alive, scheduled runs are said to wait, until one is', async ({
    page,
    tmpPath
  }, testInfo) => {
    // The server's own status, its schedulers marked no longer alive from the first request on
    const status = await withoutSchedulers(page);
    const path = `${tmpPath}/nightly.ipynb`;
    expect(await page.contents.uploadContent(notebook('n = 1', 'n'), 'text', path)).toBe(true);
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { notebook_path: path, name: `nightly ${tmpPath}`, cron: '0 3 * * *' }
    });
    expect(created.ok(), await created.text()).toBe(true);
    await openNotebook(page, path);
    const panel = await openSection(page, 'nightly.ipynb', 'Jobs');
    const notice = panel.getByRole('status').filter({ hasText: 'No scheduler is running' });
    // shown once two checks in a row (5 s apart) found none
    await expect(notice).toContainText('scheduled and queued runs wait until one starts', {
      timeout: 20_000
    });
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo, '.jp-nbtools-Jobs-unserved')).toEqual([]);
      await attachScreenshot(page, testInfo, `jobs-no-scheduler-${theme}`, notice);
    });
    // A scheduler alive again: the notice goes at the next check (every 5 s while shown).
    status.served();
    await expect(notice).toHaveCount(0, { timeout: 20_000 });
  });
});

test.describe('Job form options', () => {
  const lab = sharePage();

  test('a cell timeout and the catch-up policy, each error under its field', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await open(page, tmpPath, 'nightly.ipynb', notebook('days = 1', 'days'));
    const panel = await openSection(page, 'nightly.ipynb', 'Jobs');
    await panel.getByRole('button', { name: 'Create job' }).click();
    const form = page.getByRole('form', { name: 'Create job' });
    await form.getByRole('radio', { name: 'Recurring, on a schedule (saved as a job)' }).check();

    const limit = form.getByRole('spinbutton', { name: 'Catch up at most' });
    await expect(limit).toHaveCount(0);
    await form
      .getByRole('combobox', { name: 'After downtime' })
      .selectOption({ label: 'catch up: run each missed time' });
    await expect(limit).toHaveValue('10');
    await limit.fill('1001');
    const cellTimeout = form.getByRole('spinbutton', { name: 'Cell timeout (s)' });
    await cellTimeout.fill('0');

    // Both errors at once, each under its field; the focus goes to the first.
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(limit).toHaveAttribute('aria-invalid', 'true');
    await expect(limit).toHaveAccessibleDescription(/Enter a whole number from 1 to 1000\./);
    await expect(limit).toBeFocused();
    await expect(cellTimeout).toHaveAttribute('aria-invalid', 'true');
    await expect(cellTimeout).toHaveAccessibleDescription(
      /Enter a whole number of seconds, or leave it empty\./
    );
    await attachScreenshot(page, testInfo, 'job-form-option-errors');
    await limit.fill('5');
    await expect(limit).toHaveAttribute('aria-invalid', 'false');

    // What only the server checks (a timeout beyond its integer range) shows there too.
    await cellTimeout.fill('3000000000');
    await expect(cellTimeout).toHaveAttribute('aria-invalid', 'false');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect(cellTimeout).toHaveAccessibleDescription(/cell_timeout_seconds must be/);
    await expect(cellTimeout).toBeFocused();
    await cellTimeout.fill('30');
    await expect(cellTimeout).toHaveAttribute('aria-invalid', 'false');
    await form.getByRole('button', { name: 'Create job' }).click();

    const job = panel
      .getByRole('list', { name: 'Jobs' })
      .getByRole('listitem', { name: 'nightly' });
    await expect(job).toBeVisible();
    const jobs = await page.request.get(`/nbtools/api/jobs?path=${tmpPath}/nightly.ipynb`);
    expect(await jobs.json()).toEqual([
      expect.objectContaining({
        cell_timeout_seconds: 30,
        missed_policy: 'catch_up',
        catch_up_limit: 5
      })
    ]);

    // Editing shows what was saved.
    await job.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit job' });
    await expect(edit.getByRole('spinbutton', { name: 'Cell timeout (s)' })).toHaveValue('30');
    await expect(edit.getByRole('combobox', { name: 'After downtime' })).toHaveValue('catch_up');
    await expect(edit.getByRole('spinbutton', { name: 'Catch up at most' })).toHaveValue('5');
  });

  test('a one-off run stops at a cell that runs longer than the cell timeout', async ({
    tmpPath
  }) => {
    const page = lab();
    test.setTimeout(120_000);
    await open(
      page,
      tmpPath,
      'slow.ipynb',
      notebook('pause = 600', 'import time\ntime.sleep(pause)')
    );
    const panel = await openSection(page, 'slow.ipynb', 'Jobs');
    await panel.getByRole('button', { name: 'Create job' }).click();
    const form = page.getByRole('form', { name: 'Create job' });
    await form.getByRole('spinbutton', { name: 'Cell timeout (s)' }).fill('1');
    await runNowFromForm(page, form);

    const run = panel.getByRole('list', { name: 'Runs' }).getByRole('listitem').first();
    await expect(run.getByTestId('nbtools-run-error')).toContainText(
      "CellTimeoutError: A cell ran longer than the run's cell timeout of 1 s",
      { timeout: 90_000 }
    );
    await expect(run.getByTestId('nbtools-run-error')).toContainText('cell 2');
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
    // By keyboard: the button keeps the focus while a page loads and after…
    await showOlder.press('Enter');
    await expect(runs).toHaveCount(4);
    await expect(showOlder).toBeFocused();
    await attachScreenshot(page, testInfo, 'jobs-older-runs');
    await page.keyboard.press('Enter');
    await expect(runs).toHaveCount(5);
    await expect(showOlder).toBeHidden();
    // …and once the last page is in, the first run it added has it (not the page's body).
    await expect(runs.nth(4)).toBeFocused();
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
