import { expect, galata, test as galataTest } from '@jupyterlab/galata';
import type { IJupyterLabPage, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

/** How long JupyterLab may take to start on a loaded machine (Galata waits 15 s). */
const START_MS = 120_000;

type Condition = () => boolean | Promise<boolean>;
type WaitForCondition = (fn: Condition, timeout?: number) => Promise<void>;

/*
 * Galata waits at most 15 s, by default, for JupyterLab to start and open its
 * Launcher, and its page fixture gives no way to wait longer. On a machine
 * shared by several builds, loading the application alone can take longer, so
 * the default of its one waiting helper is raised here (a condition that is
 * met returns as soon as it is).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const utils = require('@jupyterlab/galata/lib/utils') as { waitForCondition: WaitForCondition };
const waitForCondition = utils.waitForCondition;
utils.waitForCondition = (fn, timeout = START_MS) => waitForCondition(fn, timeout);

/** The port of the first JupyterLab; worker N talks to the one on port + N. */
const FIRST_PORT = Number(process.env.NBTOOLS_UI_PORT || 8888);

/** The viewport of the shared page (sharePage), given back to it after each test. */
const SHARED_VIEWPORT = { width: 1024, height: 768 };

/**
 * Galata's `test`; every spec imports it from here so that the longer wait
 * above applies and so that each Playwright worker uses its own JupyterLab
 * (playwright.config.js starts one per worker): tests of two workers never
 * share a project, its jobs or its store. `sharedLab` is the worker's one
 * shared JupyterLab page (see sharePage).
 */
export const test = galataTest.extend<object, { sharedLab: IJupyterLabPageFixture }>({
  // Playwright reads a fixture's dependencies from its first argument's pattern.
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use, testInfo) => {
    await use(`http://127.0.0.1:${FIRST_PORT + testInfo.parallelIndex}`);
  },
  sharedLab: [
    async ({ browser }, use, workerInfo) => {
      const baseURL = `http://127.0.0.1:${FIRST_PORT + workerInfo.parallelIndex}`;
      const context = await browser.newContext({ baseURL, viewport: SHARED_VIEWPORT });
      // The page opens on a folder of its own (opened on the server's root, JupyterLab
      // would first show a "Path Not Found" dialog for /lab/tree).
      const home = sharedHome(workerInfo.workerIndex);
      await galata.newContentsHelper(context.request).createDirectory(home);
      const page = await galata.initTestPage(
        '/lab',
        true,
        baseURL,
        true,
        galata.DEFAULT_SETTINGS,
        true,
        true,
        await context.newPage(),
        null,
        null,
        home,
        labReady
      );
      await use(page);
      await page.contents.deleteDirectory(home);
      await context.close();
    },
    { scope: 'worker' }
  ]
});

/** The folder the shared page of worker `workerIndex` opens on (see sharePage). */
function sharedHome(workerIndex: number): string {
  return `shared-page-${workerIndex}`;
}

/**
 * JupyterLab is ready once its splash screen is gone and its Launcher shows
 * (the state Galata's page fixture hands to a test).
 */
async function labReady(page: Page, lab: IJupyterLabPage): Promise<void> {
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await lab.activity.launcher.waitFor();
}

/**
 * Bring a shared page back to the state it starts in, for what the tests
 * sharing it can see: no open document (unsaved edits are dropped, as closing
 * a fresh page's browser context drops them), no dialog, no running kernel,
 * no notification, no route or extra request header of the test's, the
 * file browser in front of the Production panel, the viewport and the light theme of the start, and
 * the file browser on the page's own folder `home` (a
 * test that took it into its `tmpPath` folder must not leave it there: that
 * folder is deleted after the test, and a file browser left in a deleted
 * folder once lost the next test's listing).
 */
async function resetSharedPage(page: IJupyterLabPageFixture, home: string): Promise<void> {
  const dialogs = page.locator('.jp-Dialog');
  await expect(async () => {
    if ((await dialogs.count()) > 0) {
      await page.keyboard.press('Escape');
    }
    await expect(dialogs).toHaveCount(0, { timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  // Disposed, not closed: closing a notebook with unsaved changes asks whether to save
  // them, and clearing its dirty flag first was not enough (in 1 run of 6 the notebook was
  // dirty again when it closed, and the closing waited on that question until the test
  // timed out). JupyterLab opens a Launcher in the emptied main area, as on a fresh page.
  await page.evaluate(() => {
    for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
      widget.dispose();
    }
  });
  await page.activity.launcher.waitFor();
  // The file browser in front of the Production panel, as on a fresh page.
  await page.sidebar.openTab('filebrowser');
  // A notebook opened at the end of a test may still be starting its session when the
  // sessions are shut down; that one would be left running, and Galata's shutdownAll
  // waits for none to run without a limit (1 CI run in 7 hung there until the test timed
  // out). So: shut down, and again, until none is left.
  await expect(async () => {
    await page.evaluate(() => window.jupyterapp.serviceManager.sessions.shutdownAll());
    expect(await page.kernel.isAnyRunning()).toBe(false);
  }).toPass({ timeout: 30_000 });
  // JupyterLab's notification centre keeps every notification, faded or not, and a test may
  // read the whole list (monitoring.spec.ts): emptied, as on a fresh page.
  await page.evaluate(async () => {
    const helpers = await window.galata.getPlugin('@jupyterlab/galata-extension:helpers');
    helpers?.notifications.dismiss();
  });
  await page.context().unrouteAll({ behavior: 'ignoreErrors' });
  await page.setExtraHTTPHeaders({});
  const viewport = page.viewportSize();
  if (viewport?.width !== SHARED_VIEWPORT.width || viewport.height !== SHARED_VIEWPORT.height) {
    await page.setViewportSize(SHARED_VIEWPORT);
  }
  if ((await page.theme.getTheme()) !== 'JupyterLab Light') {
    await page.theme.setLightTheme();
  }
  if ((await page.filebrowser.getCurrentDirectory()) !== home) {
    await page.evaluate(
      folder => window.jupyterapp.commands.execute('filebrowser:go-to-path', { path: folder }),
      home
    );
    await expect.poll(() => page.filebrowser.getCurrentDirectory()).toBe(home);
  }
}

/**
 * The page of the worker's JupyterLab shared by the tests of every describe
 * block that calls this (in any spec file the worker runs), instead of a page
 * loaded afresh for each test (its 5-15 s are most of a short test's time): it
 * is loaded once per worker (the `sharedLab` fixture). Only for tests that
 * need no fresh page: none depends on the Production panel's first state or
 * on settings of its own. A test that routes requests routes them on the
 * page's context (`page.context().route`), a test that resizes the viewport
 * just resizes it: the reset undoes both. Each test still gets its own
 * `tmpPath` folder, but the file browser stays on the page's own folder (the
 * tests open their documents with `openNotebook` in helpers.ts, never through
 * the file browser's listing); after each test the page is reset
 * (resetSharedPage). Returns a getter of the page, for the test bodies (which
 * must not ask for Galata's `page` fixture: that would load another one).
 */
export function sharePage(): () => IJupyterLabPageFixture {
  let shared: IJupyterLabPageFixture | undefined;
  const current = (): IJupyterLabPageFixture => {
    if (!shared) {
      throw new Error('sharePage(): the shared page is given to the block in beforeAll');
    }
    return shared;
  };
  test.beforeAll(({ sharedLab }) => {
    shared = sharedLab;
  });
  test.afterEach(async ({ sharedLab }, testInfo) => {
    await resetSharedPage(sharedLab, sharedHome(testInfo.workerIndex));
  });
  return current;
}
