import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { execFileSync } from 'child_process';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations,
  writeAndTest
} from './helpers';
import { sharePage, test } from './fixtures';

/** A notebook whose second cell is served: `POST /predict`. */
const SCORER = notebookJson([
  { ...codeCell('model', "WEIGHT = 2.0\nprint('model loaded')"), metadata: { tags: ['export'] } },
  codeCell(
    'predict',
    "#| serve\nfrom typing import Literal\n\n\ndef predict(x: float, mode: Literal['plain', 'double'] = 'plain') -> dict[str, float]:\n    return {'score': x * WEIGHT * (2 if mode == 'double' else 1)}"
  )
]);

/** Where the server's project lives (GET /nbtools/api/status). */
async function serverRoot(page: IJupyterLabPageFixture): Promise<string> {
  return ((await (await page.request.get('/nbtools/api/status')).json()) as { root: string }).root;
}

/**
 * Write the package of the notebook at `path` in its default folder, as `nbtools extract`
 * does (for `purpose`, when given).
 */
async function extract(
  page: IJupyterLabPageFixture,
  path: string,
  purpose?: string
): Promise<void> {
  const written = await page.request.post('/nbtools/api/extract', {
    data: { path, dry_run: false, purpose }
  });
  expect(written.ok(), await written.text()).toBe(true);
}

/**
 * Open the notebook at `path` and the Serve step of its package, written earlier, in the
 * wizard (given the `purpose` its package serves, when it needs one); returns the panel.
 */
async function serveStepOf(
  page: IJupyterLabPageFixture,
  path: string,
  purpose?: string
): Promise<Locator> {
  await openNotebook(page, path);
  const panel = await openSection(page, path.slice(path.lastIndexOf('/') + 1), 'Package');
  if (purpose) {
    await panel.getByRole('button', { name: '2. Options' }).click();
    await panel.getByRole('textbox', { name: 'Purpose' }).fill(purpose);
  }
  await panel.getByRole('button', { name: '5. Serve' }).click();
  await expect(panel.getByRole('button', { name: 'Start preview' })).toBeEnabled();
  return panel;
}

/** Whether a process with this id exists on this machine (the server's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Upload SCORER to `tmpPath`, open it, write and test its package in the
 * Production panel's wizard, and go to the Serve step; returns the panel.
 */
async function scorerServeStep(page: IJupyterLabPageFixture, tmpPath: string): Promise<Locator> {
  const path = `${tmpPath}/scorer.ipynb`;
  expect(await page.contents.uploadContent(SCORER, 'text', path)).toBe(true);
  await openNotebook(page, path);
  const panel = await openSection(page, 'scorer.ipynb', 'Package');
  await panel.getByRole('button', { name: '4. Write and test' }).click();
  await writeAndTest(page, panel);
  await expect(panel.getByTestId('nbtools-test-summary')).toContainText('Written to');
  await panel.getByRole('button', { name: '5. Serve' }).click();
  return panel;
}

test.describe('Serve step', () => {
  const lab = sharePage();

  test('start a preview, get a prediction from the try-it form, stop it', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const panel = await scorerServeStep(page, tmpPath);
    await panel.getByRole('button', { name: 'Start preview' }).click();
    const state = panel.getByTestId('nbtools-serve-state');
    await expect(state).toContainText('Ready at http://127.0.0.1:', { timeout: 60000 });
    const pid = Number(/process (\d+)/.exec((await state.textContent()) ?? '')?.[1]);
    expect(alive(pid)).toBe(true);

    const form = panel.getByRole('form', { name: 'Try it' });
    const x = form.getByRole('spinbutton', { name: /^x/ });
    // Started without a key: the form asks for none.
    await expect(form.getByLabel('API key', { exact: true })).toHaveCount(0);
    // An empty required field is refused next to it, before anything is sent.
    await form.getByRole('button', { name: 'Send' }).click();
    await expect(x).toHaveAttribute('aria-invalid', 'true');
    await expect(form).toContainText('Required.');

    await x.fill('1.5');
    await form.getByRole('combobox', { name: /^mode/ }).selectOption('double');
    await form.getByRole('button', { name: 'Send' }).click();
    await expect(panel.getByTestId('nbtools-serve-response-status')).toContainText('Status 200');
    await expect(panel.getByLabel('Response')).toContainText('"score": 6');
    await expect(panel.getByLabel('curl command')).toContainText(
      `/predict' -H 'Content-Type: application/json' -d '{"x":1.5,"mode":"double"}'`
    );
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `serve-try-it-${theme}`);
    });

    // Back from another notebook, the step finds the running preview again.
    const other = `${tmpPath}/other.ipynb`;
    expect(await page.contents.uploadContent(notebookJson([]), 'text', other)).toBe(true);
    await openNotebook(page, other);
    await expect(state).toHaveCount(0);
    expect(await page.notebook.activate('scorer.ipynb')).toBe(true);
    await expect(state).toContainText(`(process ${pid})`);

    await panel.getByRole('button', { name: 'Stop' }).click();
    await expect(state).toHaveCount(0);
    await expect(panel.getByRole('button', { name: 'Start preview' })).toBeEnabled();
    expect(alive(pid)).toBe(false);
  });

  test('a refused start shows why beside Start preview, keeps the focus there and shows the log', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    // Personal data, read as the package is imported; the package is written for the
    // churn-model purpose, which the data then no longer allows: its preview is refused at
    // start-up (403), by nbtools serve itself.
    const root = await serverRoot(page);
    const csv = `${tmpPath}/pii.csv`;
    expect(await page.contents.uploadContent('id,email\n1,a@example.org\n', 'text', csv)).toBe(
      true
    );
    const nbtools = (...args: string[]) =>
      execFileSync('nbtools', ['--root', root, ...args], { stdio: 'pipe' });
    nbtools(
      'data',
      'add',
      'serve_pii',
      csv,
      '--classification',
      'personal',
      '--purpose',
      'churn-model'
    );
    const reads =
      "import nbtools.data\n\nROWS = open(nbtools.data.path('serve_pii')).read().splitlines()";
    const rows = notebookJson([
      { ...codeCell('read', reads), metadata: { tags: ['export'] } },
      codeCell('row', '#| serve\ndef row(i: int) -> str:\n    return ROWS[i]')
    ]);
    const path = `${tmpPath}/rows.ipynb`;
    expect(await page.contents.uploadContent(rows, 'text', path)).toBe(true);
    await extract(page, path, 'churn-model');
    const panel = await serveStepOf(page, path, 'churn-model');
    nbtools('data', 'edit', 'serve_pii', '--clear-purposes', '--purpose', 'care');

    const start = panel.getByRole('button', { name: 'Start preview' });
    await start.focus();
    await page.keyboard.press('Enter');
    const reason =
      "The preview of rows was refused at start-up: data use refused: Dataset 'serve_pii' (personal) may not be used for the purpose 'churn-model': its allowed purposes are care.";
    await expect(panel.getByRole('alert')).toContainText(reason, { timeout: 60_000 });
    // Beside the control that was refused: its description, and the focus back on it.
    await expect(start).toHaveAccessibleDescription(
      new RegExp(`^${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
    );
    await expect(start).toBeFocused();
    await expect(start).toBeEnabled();
    // The ended preview's log, which tells the whole story.
    await expect(panel.getByTestId('nbtools-serve-state')).toHaveText('Ended with exit code 2.');
    await expect(panel.getByLabel('Service log')).toContainText(
      "Dataset 'serve_pii' (personal) may not be used for the purpose 'churn-model'"
    );
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      const step = panel.getByRole('region', { name: 'Serve', exact: true });
      await attachScreenshot(page, testInfo, `serve-refused-${theme}`, step);
    });

    // Stop forgets the ended preview; the server no longer lists it.
    await panel.getByRole('button', { name: 'Stop' }).click();
    await expect(panel.getByTestId('nbtools-serve-state')).toHaveCount(0);
    await expect(panel.getByRole('alert')).toHaveCount(0);
    const listed = (await (await page.request.get('/nbtools/api/services')).json()) as {
      package: string;
    }[];
    expect(listed.filter(preview => preview.package === 'rows')).toEqual([]);
  });

  test('a served package whose lineage could not be recorded says why and what to do', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    // Written while the notebook named a kernel this server does not have: its environment
    // could not be snapshotted. Its author then chose python3, and serves the package as written.
    const cells = [
      codeCell('predict', '#| serve\ndef predict(x: float) -> float:\n    return 2 * x')
    ];
    const path = `${tmpPath}/doubler.ipynb`;
    expect(
      await page.contents.uploadContent(notebookJson(cells, 'gone-kernel'), 'text', path)
    ).toBe(true);
    await extract(page, path);
    await page.contents.deleteFile(path);
    expect(await page.contents.uploadContent(notebookJson(cells), 'text', path)).toBe(true);
    const panel = await serveStepOf(page, path);
    await panel.getByRole('button', { name: 'Start preview' }).click();
    await expect(panel.getByTestId('nbtools-serve-state')).toContainText('Ready at', {
      timeout: 60_000
    });

    const lineage = panel.getByRole('region', { name: 'Lineage of the served package' });
    await expect(lineage).toContainText(new RegExp(`notebook version \\d+ of ${path}`));
    await expect(lineage).toContainText('no environment recorded');
    const warning = lineage.getByRole('note');
    await expect(warning).toContainText(
      "Warning: Its lineage is incomplete: No kernel named 'gone-kernel'."
    );
    await expect(warning).toContainText(
      'Then write the package again (4. Write and test) to record its lineage, and restart the preview.'
    );
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `serve-lineage-problems-${theme}`, lineage);
    });
    await panel.getByRole('button', { name: 'Stop' }).click();
    await expect(lineage).toHaveCount(0);
  });

  test('a lineage still being recorded as the preview got ready shows once recorded, without a restart', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    test.setTimeout(180_000);
    const path = `${tmpPath}/halver.ipynb`;
    const cells = [
      codeCell('predict', '#| serve\ndef predict(x: float) -> float:\n    return x / 2')
    ];
    expect(await page.contents.uploadContent(notebookJson(cells), 'text', path)).toBe(true);
    const written = await page.request.post('/nbtools/api/extract', {
      data: { path, dry_run: false }
    });
    expect(written.ok(), await written.text()).toBe(true);
    // As `nbtools extract` leaves the manifest while its background process records the lineage.
    const manifest = `${await serverRoot(page)}/${(await written.json()).output}/.nbtools-extract.json`;
    const swap = (script: string) => execFileSync('python', ['-c', script, manifest]);
    swap(
      'import json, sys; p = sys.argv[1]; m = json.load(open(p)); json.dump(m["lineage"], open(p + ".lineage", "w")); m["lineage"] = {"pending": "token"}; json.dump(m, open(p, "w"))'
    );
    const panel = await serveStepOf(page, path);
    await panel.getByRole('button', { name: 'Start preview' }).click();
    await expect(panel.getByTestId('nbtools-serve-state')).toContainText('Ready at', {
      timeout: 60_000
    });
    const lineage = panel.getByRole('region', { name: 'Lineage of the served package' });
    await expect(lineage).toContainText(
      'Its notebook version and environment are still being recorded: they show here once recorded'
    );
    await inEachTheme(page, async theme => {
      expect(await violations(page, testInfo)).toEqual([]);
      await attachScreenshot(page, testInfo, `serve-lineage-pending-${theme}`, lineage);
    });

    // The recording fills the lineage in: the step shows it as the preview runs on.
    swap(
      'import json, sys; p = sys.argv[1]; m = json.load(open(p)); m["lineage"] = json.load(open(p + ".lineage")); json.dump(m, open(p, "w"))'
    );
    await expect(lineage).toContainText(
      new RegExp(`Written from notebook version \\d+ of ${path}`)
    );
    await expect(lineage).not.toContainText('still being recorded');
    await panel.getByRole('button', { name: 'Stop' }).click();
    await expect(lineage).toHaveCount(0);
  });

  test('a preview with an API key and recording: the key field, a refused call, the log followed', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    const panel = await scorerServeStep(page, tmpPath);

    const key = 'ui-test-KEY.1';
    await panel.getByLabel('Require an API key (optional)').fill(key);
    await panel.getByRole('checkbox', { name: /Record its traffic/ }).check();
    await panel.getByRole('button', { name: 'Start preview' }).click();
    const state = panel.getByTestId('nbtools-serve-state');
    await expect(state).toContainText('Ready at http://127.0.0.1:', { timeout: 60000 });
    const pid = Number(/process (\d+)/.exec((await state.textContent()) ?? '')?.[1]);
    await expect(panel).toContainText('recorded as the series of the job service:scorer');
    // the options are for starting: gone while it runs
    await expect(panel.getByLabel('Require an API key (optional)')).toHaveCount(0);

    const form = panel.getByRole('form', { name: 'Try it' });
    const apiKey = form.getByLabel('API key', { exact: true });
    await expect(apiKey).toHaveValue(key);
    await form.getByRole('spinbutton', { name: /^x/ }).fill('1.5');
    await form.getByRole('button', { name: 'Send' }).click();
    const status = panel.getByTestId('nbtools-serve-response-status');
    await expect(status).toContainText('Status 200');
    await expect(panel.getByLabel('Response')).toContainText('"score": 3');
    // The log keeps following once the service is ready: the call shows in it.
    const log = panel.getByLabel('Service log');
    await expect(log).toContainText('"POST /predict HTTP/1.1" 200');
    const curl = panel.getByLabel('curl command');
    await expect(curl).toContainText('-H "X-API-Key: $API_KEY"');
    await expect(curl).not.toContainText(key);

    await apiKey.fill('not-the-key');
    await form.getByRole('button', { name: 'Send' }).click();
    await expect(status).toContainText('Status 401');
    await expect(log).toContainText('"POST /predict HTTP/1.1" 401');
    await expect(log).not.toContainText(key);
    expect(await violations(page, testInfo)).toEqual([]);
    await attachScreenshot(page, testInfo, 'serve-api-key-log');

    await panel.getByRole('button', { name: 'Stop' }).click();
    await expect(state).toHaveCount(0);
    expect(alive(pid)).toBe(false);
  });

  test('a run lists its artifacts and the preview serving them', async ({ tmpPath }) => {
    const page = lab();
    test.setTimeout(180_000);
    // A training run keeps model.json.
    const train = `${tmpPath}/train.ipynb`;
    const saving = "import nbtools.artifacts\nnbtools.artifacts.save('model.json', b'{\"w\": 3}')";
    const upload = await page.contents.uploadContent(
      notebookJson([codeCell('fit', saving)]),
      'text',
      train
    );
    expect(upload).toBe(true);
    const created = await page.request.post('/nbtools/api/jobs', {
      data: { name: 'Train model', notebook_path: train }
    });
    expect(created.ok()).toBe(true);
    const jobId = ((await created.json()) as { id: number }).id;
    const queued = await page.request.post(`/nbtools/api/jobs/${jobId}/run`, { data: {} });
    expect(queued.ok()).toBe(true);
    const runId = ((await queued.json()) as { id: number }).id;
    await expect
      .poll(
        async () =>
          (
            (await (await page.request.get(`/nbtools/api/runs/${runId}`)).json()) as {
              status: string;
            }
          ).status,
        { timeout: 90_000 }
      )
      .toBe('succeeded');

    // A service loading it at start-up, previewed through the REST API.
    const loading = `import json\nimport nbtools.artifacts\n\nW = json.loads(nbtools.artifacts.load('model.json', run=${runId}).read_text())['w']`;
    const served = notebookJson([
      { ...codeCell('load', loading), metadata: { tags: ['export'] } },
      codeCell('predict', '#| serve\ndef predict(x: float) -> float:\n    return x * W')
    ]);
    expect(await page.contents.uploadContent(served, 'text', `${tmpPath}/model.ipynb`)).toBe(true);
    const extracted = await page.request.post('/nbtools/api/extract', {
      data: { path: `${tmpPath}/model.ipynb`, dry_run: false }
    });
    expect(extracted.ok()).toBe(true);
    const output = ((await extracted.json()) as { output: string }).output;
    const started = await page.request.post('/nbtools/api/services', {
      data: { package_dir: output }
    });
    expect(started.ok()).toBe(true);
    const preview = (await started.json()) as { id: string };
    try {
      await expect
        .poll(
          async () =>
            (
              (await (await page.request.get(`/nbtools/api/services/${preview.id}`)).json()) as {
                state: string;
              }
            ).state,
          { timeout: 60_000 }
        )
        .toBe('ready');

      await openNotebook(page, train);
      const panel = await openSection(page, 'train.ipynb', 'Jobs');
      const run = panel.getByRole('listitem', { name: `Run ${runId}`, exact: true });
      const artifacts = run.getByRole('list', { name: `Artifacts of run ${runId}` });
      await expect(artifacts.getByRole('button', { name: /^model\.json \(8 B\)/ })).toBeVisible();
      await expect(run.getByTestId('nbtools-run-served-by')).toContainText('Served by model');

      const download = page.waitForEvent('download');
      await artifacts.getByRole('button', { name: /^model\.json/ }).click();
      expect((await download).suggestedFilename()).toBe('model.json');

      // The job's page lists them too.
      await page.evaluate(async id => {
        await window.jupyterapp.commands.execute('nbtools:open-job', { id });
      }, jobId);
      const jobPage = page.getByRole('article', { name: 'Train model' });
      const row = jobPage
        .getByRole('table', { name: 'Runs of Train model' })
        .getByRole('row')
        .nth(1);
      await expect(row.getByRole('button', { name: /^model\.json \(8 B\)/ })).toBeVisible();
      await expect(row.getByTestId('nbtools-run-served-by')).toContainText('Served by model');
    } finally {
      await page.request.delete(`/nbtools/api/services/${preview.id}`);
    }
  });
});
