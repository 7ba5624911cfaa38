import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import { createHash } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

import {
  attachScreenshot,
  inEachTheme,
  notebookJson,
  notification,
  openNotebook,
  openSection,
  sectionToggle,
  violations
} from './helpers';
import { targetStoredByAnOlderNbtools } from './serverState';
import { sharePage, test } from './fixtures';
import { call, createJob } from './jobsApi';

const lab = sharePage();

function code(id: string, source: string, tags: string[] = []): Record<string, unknown> {
  return {
    cell_type: 'code',
    id,
    metadata: tags.length ? { tags } : {},
    execution_count: null,
    outputs: [],
    source
  };
}

/** Queue a run of the job and wait until it ends; returns its final status. */
async function runJob(
  page: IJupyterLabPageFixture,
  jobId: number,
  parameters: Record<string, unknown> = {}
): Promise<string> {
  const run = await call<{ id: number }>(page, 'POST', `jobs/${jobId}/run`, { parameters });
  let status = 'queued';
  await expect
    .poll(
      async () => {
        status = (await call<{ status: string }>(page, 'GET', `runs/${run.id}`)).status;
        return ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(status);
      },
      { timeout: 60_000 }
    )
    .toBe(true);
  return status;
}

test('a failed run raises an alert in the Production panel, acknowledged there', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  test.setTimeout(120_000);
  const path = `${tmpPath}/broken.ipynb`;
  const content = notebookJson([code('body', "raise RuntimeError('no data today')")]);
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
  const jobId = await createJob(page, { name: 'nightly check', notebook_path: path });
  await call(page, 'POST', `jobs/${jobId}/rules`, { text: 'failed' });
  expect(await runJob(page, jobId)).toBe('failed');
  // While JupyterLab is open, the run that ended (named by its job, as when it was queued)
  // and the new alert are notifications.
  await expect(notification(page, /Run \d+ of nightly check failed: RuntimeError/)).toBeVisible();
  await expect(notification(page, /Alert: Run \d+ failed\./)).toBeVisible();

  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-alerts' });
  });
  const panel = page.getByRole('region', { name: 'Production', exact: true });
  const alerts = panel.getByRole('list', { name: 'Open alerts' });
  const item = alerts.getByRole('listitem').filter({ hasText: /Run \d+ failed\./ });
  await expect(item).toBeVisible();
  await expect(item).toContainText(`Job ${jobId} · run`);
  await inEachTheme(page, theme => attachScreenshot(page, testInfo, `alerts-${theme}`));

  await item.getByRole('button', { name: /^Acknowledge alert \d+$/ }).click();
  await expect(item).toHaveCount(0);
  expect(await call(page, 'GET', `alerts?job=${jobId}&status=open`)).toEqual([]);
});

test("acknowledged by keyboard, an alert hands the focus to the next one, then to 'No open alerts.'", async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  test.setTimeout(180_000);
  const path = `${tmpPath}/flaky.ipynb`;
  const content = notebookJson([code('body', "raise RuntimeError('flaky source')")]);
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
  await openNotebook(page, path);
  const jobId = await createJob(page, { name: 'flaky', notebook_path: path });
  await call(page, 'POST', `jobs/${jobId}/rules`, { text: 'failed' });
  expect(await runJob(page, jobId)).toBe('failed');
  expect(await runJob(page, jobId)).toBe('failed');

  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-jobs' });
  });
  const panel = page.getByRole('region', { name: 'Production', exact: true });
  const job = panel.getByRole('list', { name: 'Jobs' }).getByRole('listitem', { name: 'flaky' });
  const monitoring = job.getByRole('region', { name: 'Monitoring of flaky' });
  await monitoring.getByRole('button', { name: 'Metrics and alerts' }).press('Enter');
  const acknowledge = monitoring.getByRole('button', { name: /^Acknowledge alert \d+$/ });
  await expect(acknowledge).toHaveCount(2);
  await page.theme.setDarkTheme();
  try {
    await acknowledge.first().press('Enter');
    await expect(acknowledge).toHaveCount(1);
    await expect(acknowledge).toBeFocused(); // the alert now in its place
    await page.keyboard.press('Enter');
    await expect(acknowledge).toHaveCount(0);
    await expect(monitoring.getByText('No open alerts.')).toBeFocused();
    expect(await violations(page, testInfo)).toEqual([]);
    await attachScreenshot(page, testInfo, 'alerts-acknowledged-by-keyboard-dark', monitoring);
  } finally {
    await page.theme.setLightTheme();
  }
  expect(await call(page, 'GET', `alerts?job=${jobId}&status=open`)).toEqual([]);
});

/** The parts of a notification payload the test checks. */
interface IPayload {
  notification_id: string;
  event: string;
  job: { id: number; name: string };
  alert: { rule: string };
  run: { parameters: Record<string, unknown> };
}

interface IWebhook {
  url: string;
  received: IPayload[];
  /** Each request's Authorization header ('' without one). */
  authorizations: string[];
  close: () => Promise<void>;
}

/** A local HTTP server that records the JSON bodies POSTed to it. */
async function webhookReceiver(): Promise<IWebhook> {
  const received: IPayload[] = [];
  const authorizations: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', chunk => (body += chunk));
    request.on('end', () => {
      received.push(JSON.parse(body) as IPayload);
      authorizations.push(request.headers.authorization ?? '');
      response.writeHead(204).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    authorizations,
    close: () => new Promise(resolve => server.close(() => resolve()))
  };
}

test('a scheduled job whose third run drops: three points, an alert, the webhook told', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  test.setTimeout(180_000);
  const webhook = await webhookReceiver();
  try {
    const path = `${tmpPath}/train.ipynb`;
    const content = notebookJson([
      code('params', 'accuracy = 0.95', ['parameters']),
      code('record', 'from nbtools import record\nrecord("accuracy", accuracy)')
    ]);
    expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
    await openNotebook(page, path);
    const jobId = await createJob(page, {
      name: 'train',
      notebook_path: path,
      cron: '0 3 * * *',
      timezone: 'UTC',
      parameters: { accuracy: 0.95 }
    });

    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('nbtools:open-panel', { section: 'nbtools-jobs' });
    });
    const panel = page.getByRole('region', { name: 'Production', exact: true });
    const job = panel.getByRole('list', { name: 'Jobs' }).getByRole('listitem', { name: 'train' });
    const monitoring = job.getByRole('region', { name: 'Monitoring of train' });
    await monitoring.getByRole('button', { name: 'Metrics and alerts' }).click();

    // A rule and a webhook, set in the panel.
    await monitoring.getByRole('textbox', { name: 'New alert rule' }).fill('accuracy drops > 5%');
    await monitoring.getByRole('button', { name: 'Add rule' }).click();
    await expect(monitoring.getByRole('list', { name: 'Alert rules' })).toContainText(
      'accuracy drops > 5% over 5'
    );
    await monitoring.getByRole('textbox', { name: 'Notification destination' }).fill(webhook.url);
    await monitoring.getByRole('button', { name: 'Add', exact: true }).click();
    // Shown by its site and fingerprint: a webhook's path and query may be its secret.
    const fingerprint = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 8);
    const site = webhook.url.replace('/hook', '/***');
    const listed = monitoring.getByRole('list', { name: 'Notification targets' });
    const remove = (shown: string, url: string) =>
      listed.getByRole('button', {
        name: `Remove notification target ${shown} (${fingerprint(url)})`
      });
    await expect(remove(site, webhook.url)).toBeVisible();
    await expect(listed).not.toContainText('/hook');
    // The same webhook again is refused, saying which target has it; the field keeps it.
    const destination = monitoring.getByRole('textbox', { name: 'Notification destination' });
    await destination.fill(webhook.url);
    await monitoring.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(monitoring.getByRole('alert')).toContainText(
      'already notifies this webhook destination'
    );
    await expect(destination).toHaveValue(webhook.url);
    await expect(
      monitoring.getByRole('list', { name: 'Notification targets' }).getByRole('listitem')
    ).toHaveCount(1);
    // Credentials in a webhook URL go as HTTP Basic auth; the login is never shown.
    const withLogin = webhook.url.replace('http://', 'http://ana:s3cret@');
    await destination.fill(withLogin);
    await monitoring.getByRole('button', { name: 'Add', exact: true }).click();
    const targets = monitoring.getByRole('list', { name: 'Notification targets' });
    await expect(targets.getByRole('listitem')).toHaveCount(2);
    await expect(remove(site.replace('http://', 'http://***@'), withLogin)).toBeVisible();
    await expect(targets).not.toContainText('s3cret');
    await expect(targets).not.toContainText('ana');
    await destination.fill('');

    for (const accuracy of [0.95, 0.94, 0.8]) {
      expect(await runJob(page, jobId, { accuracy })).toBe('succeeded');
    }

    const points = monitoring.getByRole('table', { name: 'accuracy over 3 runs' });
    await expect(points.getByRole('row')).toHaveCount(4); // a header and three runs
    await expect(points.getByRole('row').last()).toContainText('0.8');
    await expect(monitoring.getByRole('status', { name: '1 open alert' })).toBeVisible();
    await expect(monitoring.getByRole('list', { name: 'Open alerts' })).toContainText(
      'accuracy dropped'
    );

    // A rule on a metric the runs never recorded says so, and is kept.
    await monitoring.getByRole('textbox', { name: 'New alert rule' }).fill('acuracy < 0.5');
    await monitoring.getByRole('button', { name: 'Add rule' }).click();
    await expect(
      monitoring.getByRole('list', { name: 'Alert rules' }).getByRole('listitem').last()
    ).toContainText(
      "May never fire: None of the job's recent runs recorded acuracy: did you mean accuracy?"
    );
    // A rule just added says at once what it makes of the latest run (no alert is raised);
    // one that raised an alert there names it.
    const rules = monitoring.getByRole('list', { name: 'Alert rules' }).getByRole('listitem');
    await expect(rules.filter({ hasText: 'accuracy drops > 5% over 5' })).toContainText(
      /Fired on run \d+, the latest \(alert \d+\)\./
    );
    for (const [text, said] of [
      [
        'accuracy < 0.9',
        /Fires on run \d+, the latest: accuracy is 0\.8 in run \d+ \(rule: accuracy < 0\.9\)\./
      ],
      ['accuracy < 0.5', /Quiet on run \d+, the latest\./]
    ] as const) {
      await monitoring.getByRole('textbox', { name: 'New alert rule' }).fill(text);
      await monitoring.getByRole('button', { name: 'Add rule' }).click();
      await expect(rules.filter({ hasText: text })).toContainText(said);
    }
    await expect(monitoring.getByRole('status', { name: '1 open alert' })).toBeVisible();

    await sectionToggle(panel, 'Alerts').click();
    const alertsSection = panel.getByRole('list', { name: 'Open alerts' }).last();
    await expect(alertsSection).toContainText('accuracy dropped', { timeout: 15_000 });

    // both targets told, the one with credentials by HTTP Basic auth
    await expect.poll(() => webhook.received.length, { timeout: 30_000 }).toBe(2);
    const basic = `Basic ${Buffer.from('ana:s3cret').toString('base64')}`;
    expect(webhook.authorizations.sort()).toEqual(['', basic]);
    // the same facts to both; each delivery has its own notification_id (receivers drop repeats)
    const [payload, other] = webhook.received;
    expect(other.notification_id).not.toBe(payload.notification_id);
    expect(other.notification_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
    );
    expect({ ...other, notification_id: payload.notification_id }).toEqual(payload);
    expect(payload.event).toBe('alert');
    expect(payload.job).toEqual({ id: jobId, name: 'train' });
    expect(payload.alert.rule).toBe('accuracy drops > 5% over 5');
    expect(payload.run.parameters).toEqual({ accuracy: 0.8 });

    // Screenshots on a tall page, hovering the third point.
    await page.setViewportSize({ width: 1280, height: 2000 });
    const chart = monitoring.getByRole('img', { name: 'accuracy over 3 runs' });
    await inEachTheme(page, async theme => {
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      await page.mouse.move(box!.x + box!.width - 6, box!.y + box!.height / 2);
      await attachScreenshot(page, testInfo, `job-monitoring-${theme}`);
      // the rules with their warning, in both themes
      expect(await violations(page, testInfo, '.jp-nbtools-Rules')).toEqual([]);
    });
    // A newer run: each rule's line follows it (the rule older than the run raised an alert).
    expect(await runJob(page, jobId, { accuracy: 0.4 })).toBe('succeeded');
    await expect(rules.filter({ hasText: 'accuracy < 0.5' })).toContainText(
      /Fired on run \d+, the latest \(alert \d+\)\./,
      { timeout: 15_000 }
    );
    // Collapsed, the job keeps its badge: the section's count of open alerts per job.
    await monitoring.getByRole('button', { name: 'Hide metrics and alerts' }).click();
    await expect(monitoring.getByRole('list', { name: 'Open alerts' })).toHaveCount(0);
    await expect(monitoring.getByRole('status', { name: '4 open alerts' })).toBeVisible();
  } finally {
    await webhook.close();
  }
});

test('runs that end together are told oldest first, then the alert they raised', async ({
  tmpPath
}) => {
  const page = lab();
  test.setTimeout(120_000);
  const path = `${tmpPath}/batch.ipynb`;
  const content = notebookJson([
    code('params', 'n = 1', ['parameters']),
    code('body', "assert n != 3, 'three'")
  ]);
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
  const jobId = await createJob(page, { name: 'batch', notebook_path: path, max_concurrent: 1 });
  await call(page, 'POST', `jobs/${jobId}/rules`, { text: 'failed' });
  // Three runs queued at once end within a second or so: one look of the watcher sees them.
  const ids: number[] = [];
  for (const n of [1, 2, 3]) {
    ids.push(
      (await call<{ id: number }>(page, 'POST', `jobs/${jobId}/run`, { parameters: { n } })).id
    );
  }
  // JupyterLab's notification centre, oldest first (it keeps the faded ones too)
  const told = async (): Promise<string[]> =>
    (await page.notifications)
      .reverse()
      .map(({ message }) => {
        const run = /Run (\d+) of batch (succeeded|failed)/.exec(message);
        const alert = /Alert: Run (\d+) failed/.exec(message);
        return run ? `run ${run[1]} ${run[2]}` : alert ? `alert on run ${alert[1]}` : '';
      })
      .filter(Boolean);
  await expect
    .poll(told, { timeout: 60_000 })
    .toEqual([
      `run ${ids[0]} succeeded`,
      `run ${ids[1]} succeeded`,
      `run ${ids[2]} failed`,
      `alert on run ${ids[2]}`
    ]);
});

test('a target an older nbtools stored, never sent to, carries a warning naming its problem and what to do', async ({
  tmpPath
}, testInfo) => {
  const page = lab();
  const path = `${tmpPath}/older.ipynb`;
  expect(await page.contents.uploadContent(notebookJson([code('a', 'x = 1')]), 'text', path)).toBe(
    true
  );
  const jobId = await createJob(page, { name: 'older', notebook_path: path, cron: '0 6 * * *' });
  await call(page, 'POST', `jobs/${jobId}/notifications`, {
    channel: 'webhook',
    destination: 'https://hooks.example.org/ok',
    events: ['failure']
  });
  // Today's check refuses this address: a target stored with it, unchecked, is one an older
  // nbtools kept, never sent to; the server names its problem in every listing.
  const stale = await targetStoredByAnOlderNbtools(page, jobId, 'team@example.org;x');
  const problem =
    'Its destination does not pass the check of a new target (it was stored by an older ' +
    'nbtools): Not an e-mail address: team@example.org;x. Give one or more addresses ' +
    'separated by commas. Remove the target and add its destination again, corrected.';
  const listed = await call<{ id: number; problem: string | null }[]>(
    page,
    'GET',
    `jobs/${jobId}/notifications`
  );
  expect(listed.map(target => target.problem)).toEqual(
    listed.map(target => (target.id === stale ? problem : null))
  );
  await openNotebook(page, path);
  const panel = await openSection(page, 'older.ipynb', 'Jobs');
  const monitoring = panel.getByRole('region', { name: 'Monitoring of older' });
  await monitoring.getByRole('button', { name: 'Metrics and alerts' }).click();
  const targets = monitoring
    .getByRole('list', { name: 'Notification targets' })
    .getByRole('listitem');
  await expect(targets).toHaveCount(2);
  const warned = targets.filter({ hasText: 'team@example.org' });
  await expect(warned.locator('.jp-nbtools-Rule-warning')).toHaveText(
    `Warning: Never sent to: ${problem}`
  );
  await expect(warned.locator('.jp-nbtools-WarningSign svg')).toBeVisible();
  await expect(targets.filter({ hasText: 'hooks.example.org' })).not.toContainText('Never sent');
  await inEachTheme(page, async theme => {
    expect(await violations(page, testInfo, '.jp-nbtools-Notifications')).toEqual([]);
    await attachScreenshot(page, testInfo, `target-problem-${theme}`, monitoring);
  });
});
