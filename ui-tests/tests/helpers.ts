import AxeBuilder from '@axe-core/playwright';
import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Route, TestInfo } from '@playwright/test';

/**
 * Save a screenshot as a test artifact (never as an assertion): of the page,
 * or cropped to the widget `of` (the docs' images are these).
 */
export async function attachScreenshot(
  page: IJupyterLabPageFixture,
  testInfo: TestInfo,
  name: string,
  of?: Locator
): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await (of ?? page).screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** JupyterLab's two themes, as `inEachTheme` names them. */
export type Theme = 'light' | 'dark';

/**
 * Run `check` in the light theme, then again in the dark one, and leave the page in the light
 * theme, also when a check fails: the next test on a shared page (sharePage in fixtures.ts)
 * starts in it, as does the rest of the test. `check` gets the theme (to name screenshots).
 */
export async function inEachTheme(
  page: IJupyterLabPageFixture,
  check: (theme: Theme) => Promise<void>
): Promise<void> {
  const light = async (): Promise<void> => {
    if ((await page.theme.getTheme()) !== 'JupyterLab Light') {
      await page.theme.setLightTheme();
    }
  };
  try {
    await light();
    await check('light');
    await page.theme.setDarkTheme();
    await check('dark');
  } finally {
    await light();
  }
}

/**
 * A v4.5 Python notebook with the given cells, as JSON text to upload; it runs in `kernel`.
 */
export function notebookJson(cells: Record<string, unknown>[], kernel = 'python3'): string {
  return JSON.stringify({
    cells,
    metadata: {
      kernelspec: { name: kernel, display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/**
 * A code cell without outputs.
 */
export function codeCell(id: string, source: string): Record<string, unknown> {
  return { cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source };
}

/**
 * Open the notebook at `path` (from the server's root) in the main area with
 * JupyterLab's `docmanager:open` command, wait until its content is loaded and
 * make it the current tab. Galata's `page.notebook.openByPath` goes through the
 * file browser instead (it browses to the folder and waits for the file in its
 * listing); on a page shared by several tests (sharePage) that listing once
 * never showed a file uploaded after the page loaded, and the test hung until
 * its timeout. Use this helper unless the file browser is what a test checks.
 *
 * The notebook opens without a kernel, as File Browser > Open With > Notebook (no kernel)
 * opens it: most tests never run a cell, and each kernel started (and shut down by the
 * shared page's reset) cost CPU the two workers share. A test that runs a cell, reads the
 * kernel's language info or the kernel's environment asks for one with `kernel: true`.
 */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  path: string,
  { kernel = false }: { kernel?: boolean } = {}
): Promise<void> {
  await page.evaluate(
    async ({ file, startKernel }) => {
      const widget = (await window.jupyterapp.commands.execute('docmanager:open', {
        path: file,
        ...(startKernel ? {} : { kernelPreference: { shouldStart: false, shouldReuse: false } })
      })) as { context: { ready: Promise<void> } } | undefined;
      if (!widget) {
        throw new Error(`docmanager:open opened no document for ${file}`);
      }
      await widget.context.ready;
    },
    { file: path, startKernel: kernel }
  );
  expect(await page.notebook.activate(path.slice(path.lastIndexOf('/') + 1))).toBe(true);
}

/**
 * The Production panel in the left sidebar.
 */
export function productionPanel(page: IJupyterLabPageFixture): Locator {
  return page.getByRole('region', { name: 'Production', exact: true });
}

/**
 * The button in the header of the Production panel's section titled
 * `section`, which expands or collapses it.
 */
export function sectionToggle(panel: Locator, section: string): Locator {
  return panel
    .getByRole('heading', { name: `${section} Section` })
    .getByRole('button', { name: section, exact: true });
}

/**
 * Click Productionize in the toolbar of `notebook`, expand the section
 * titled `section` of the Production panel, and return the panel.
 */
export async function openSection(
  page: IJupyterLabPageFixture,
  notebook: string,
  section: string
): Promise<Locator> {
  const notebookPanel = await page.activity.getPanelLocator(notebook);
  await notebookPanel!.getByRole('button', { name: 'Productionize', exact: true }).click();
  const panel = productionPanel(page);
  const toggle = sectionToggle(panel, section);
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') {
    await toggle.click();
  }
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  return panel;
}

/**
 * Open JupyterLab's command palette with its shortcut and return it. A key press the page
 * was not ready for is lost (CI saw it twice), so the shortcut is pressed again until the
 * palette's search box shows.
 */
export async function openPalette(page: IJupyterLabPageFixture): Promise<Locator> {
  const palette = page.locator('#command-palette');
  const search = palette.locator('.lm-CommandPalette-input');
  await expect(async () => {
    if (!(await search.isVisible())) {
      await page.keyboard.press('Control+Shift+C');
    }
    await expect(search).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 60_000 });
  return palette;
}

/**
 * Run the command labelled `label` from JupyterLab's command palette.
 */
export async function runFromPalette(page: IJupyterLabPageFixture, label: string): Promise<void> {
  const palette = await openPalette(page);
  await palette.locator('.lm-CommandPalette-input').fill(label);
  await palette.getByText(label, { exact: true }).click();
}

/**
 * The JupyterLab notification (toast) whose text contains or matches `text`.
 */
export function notification(page: IJupyterLabPageFixture, text: string | RegExp): Locator {
  return page.locator('.jp-toastContainer').getByRole('alert').filter({ hasText: text });
}

/** WCAG 2.1 levels A and AA. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The axe-core violations of level A/AA in `selector` (by default the
 * Production panel), as readable lines.
 */
export async function violations(
  page: IJupyterLabPageFixture,
  testInfo: TestInfo,
  selector = '#nbtools-production-panel'
): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(selector).withTags(WCAG_AA).analyze();
  await testInfo.attach('axe-results', {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json'
  });
  return results.violations.flatMap(violation =>
    violation.nodes.map(
      node => `${violation.id}: ${node.target.join(' ')} — ${node.failureSummary}`
    )
  );
}

/**
 * Click the wizard's "Write and test" and, when the notebook has unsaved
 * changes (edits, or JupyterLab's normalisation on opening), save it when asked.
 * Returns once the test summary or an alert shows.
 */
export async function writeAndTest(page: IJupyterLabPageFixture, panel: Locator): Promise<void> {
  await panel.getByRole('button', { name: 'Write and test', exact: true }).click();
  const saveFirst = page.getByRole('dialog').getByRole('button', { name: 'Save and write' });
  const answer = panel.getByTestId('nbtools-test-summary').or(panel.getByRole('alert'));
  await expect(saveFirst.or(answer)).toBeVisible({ timeout: 90_000 });
  if (await saveFirst.isVisible()) {
    await saveFirst.click();
  }
  await expect(answer).toBeVisible({ timeout: 90_000 });
}

/** A `parameters` cell of the given source. */
export function parametersCell(source: string): Record<string, unknown> {
  return { ...codeCell('params', source), metadata: { tags: ['parameters'] } };
}

/**
 * Upload a notebook of `cells` to `tmpPath`/`name`, open it (with a kernel if `kernel`, see
 * openNotebook) and return its path.
 */
export async function uploadAndOpen(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  cells: Record<string, unknown>[],
  options: { kernel?: boolean } = {}
): Promise<string> {
  const path = `${tmpPath}/${name}`;
  expect(await page.contents.uploadContent(notebookJson(cells), 'text', path)).toBe(true);
  await openNotebook(page, path, options);
  return path;
}

/** Open the create-job form (a main-area tab) from the Jobs section of notebook `name`. */
export async function createJobForm(page: IJupyterLabPageFixture, name: string): Promise<Locator> {
  const panel = await openSection(page, name, 'Jobs');
  await panel.getByRole('button', { name: 'Create job' }).click();
  const form = page.getByRole('form', { name: 'Create job' });
  await expect(form).toBeVisible();
  await expect(page.getByRole('tab', { name: `New job: ${name}` })).toBeVisible();
  return form;
}

/** The job form's choice of a recurring job (rather than one run now). */
export const RECURRING = 'Recurring, on a schedule (saved as a job)';

/**
 * Click the job form's Run now and, when the notebook is open with unsaved changes, save it
 * when asked (JupyterLab marks a notebook a test wrote as changed once its kernel fills in
 * the language info, so the question may come). Returns once the form has closed.
 */
export async function runNowFromForm(page: IJupyterLabPageFixture, form: Locator): Promise<void> {
  await form.getByRole('button', { name: 'Run now', exact: true }).click();
  const saveFirst = page.getByRole('dialog').getByRole('button', { name: 'Save and run' });
  await expect(async () => {
    if (await saveFirst.isVisible()) {
      await saveFirst.click();
    }
    await expect(form).toHaveCount(0, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}

/**
 * Run the notebook once through the REST API and wait until the server's
 * scheduler has finished it.
 */
export async function runOnce(page: IJupyterLabPageFixture, path: string): Promise<number> {
  const queued = await page.request.post('/nbtools/api/runs', { data: { notebook_path: path } });
  expect(queued.status()).toBe(202);
  const id = (await queued.json()).id as number;
  await expect
    .poll(async () => (await (await page.request.get(`/nbtools/api/runs/${id}`)).json()).status, {
      timeout: 90_000
    })
    .toBe('succeeded');
  return id;
}

/** A `parameters` cell declaring `days` and `region`. */
export const PARAMETERS_CELL = {
  ...codeCell('p', 'days = 1\nregion = "north"'),
  metadata: { tags: ['parameters'] }
};

/**
 * Upload a notebook of `cells` to `path` and create a job of it through the
 * REST API with the fields of `job` (its name at least); returns the job.
 */
export async function notebookWithJob(
  page: IJupyterLabPageFixture,
  path: string,
  job: Record<string, unknown>,
  cells: Record<string, unknown>[] = [PARAMETERS_CELL]
): Promise<{ id: number; name: string }> {
  expect(await page.contents.uploadContent(notebookJson(cells), 'text', path)).toBe(true);
  const created = await page.request.post('/nbtools/api/jobs', {
    data: { notebook_path: path, ...job }
  });
  expect(created.ok()).toBe(true);
  return (await created.json()) as { id: number; name: string };
}

/** Open job `id`'s page in the main area (command `nbtools:open-job`). */
export async function openJobPage(page: IJupyterLabPageFixture, id: number): Promise<void> {
  await page.evaluate(
    jobId => window.jupyterapp.commands.execute('nbtools:open-job', { id: jobId }),
    id
  );
}

/**
 * Answer `GET /nbtools/api/status` with the server's own reply, its schedulers marked no
 * longer alive (as after a daemon was killed) until `served()` is called.
 */
export async function withoutSchedulers(
  page: IJupyterLabPageFixture
): Promise<{ served: () => void }> {
  let unserved = true;
  await page.route(/\/nbtools\/api\/status(\?.*)?$/, async route => {
    const response = await route.fetch();
    const status = await response.json();
    if (unserved) {
      status.schedulers = status.schedulers.map((seen: object) => ({ ...seen, alive: false }));
    }
    await route.fulfill({ response, json: status });
  });
  return {
    served: () => {
      unserved = false;
    }
  };
}

/**
 * Hold the page's requests to `url` (only those of `method`, when given) at the server's
 * door, as a slow server would, until `release()` lets them all through (and says how many
 * were held). `arrived(test)` resolves once a held request's URL passes `test` (any, without).
 * The route is the page's context's: once a route of the page itself was removed, no route
 * added to the page later saw a request (Playwright 1.65 under Galata), so a test that held
 * requests twice hung at the second. It is removed once the held requests are let through
 * (removed before, continuing them failed: "Route is already handled").
 */
export async function holdRequests(
  page: IJupyterLabPageFixture,
  url: RegExp,
  method?: string
): Promise<{
  arrived: (test?: (url: string) => boolean) => Promise<void>;
  release: () => Promise<number>;
}> {
  const held: Route[] = [];
  const waiting: { test: (url: string) => boolean; resolve: () => void }[] = [];
  const context = page.context();
  let released = false;
  await context.route(url, route => {
    if (released || (method !== undefined && route.request().method() !== method)) {
      void route.fallback();
      return;
    }
    held.push(route);
    waiting
      .filter(waiter => waiter.test(route.request().url()))
      .forEach(waiter => waiter.resolve());
  });
  return {
    arrived: (test = () => true) =>
      new Promise(resolve => {
        if (held.some(route => test(route.request().url()))) {
          resolve();
        } else {
          waiting.push({ test, resolve });
        }
      }),
    release: async () => {
      released = true;
      for (const route of held) {
        await route.continue();
      }
      await context.unroute(url);
      return held.length;
    }
  };
}

/**
 * Press `button` with Enter, and again while the request its action sends (`method` to `url`)
 * is held at the server's door: the action is under way once, the button marked
 * `aria-disabled` with a spinner, and it keeps the keyboard focus. Returns once the request
 * (the only one sent) is let through.
 */
export async function pressTwiceWhileUnanswered(
  page: IJupyterLabPageFixture,
  button: Locator,
  url: RegExp,
  method: string
): Promise<void> {
  const slow = await holdRequests(page, url, method);
  await button.focus();
  await page.keyboard.press('Enter');
  await slow.arrived();
  await page.keyboard.press('Enter');
  await expect(button).toHaveAttribute('aria-disabled', 'true');
  await expect(button.locator('.jp-nbtools-Spinner')).toBeVisible();
  await expect(button).toBeFocused();
  expect(await slow.release()).toBe(1);
}
