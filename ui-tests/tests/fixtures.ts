import { test as galataTest } from '@jupyterlab/galata';

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

/**
 * Galata's `test`; every spec imports it from here so that the longer wait
 * above applies and so that each Playwright worker uses its own JupyterLab
 * (playwright.config.js starts one per worker): tests of two workers never
 * share a project, its jobs or its store.
 */
export const test = galataTest.extend({
  // Playwright reads a fixture's dependencies from its first argument's pattern.
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use, testInfo) => {
    await use(`http://127.0.0.1:${FIRST_PORT + testInfo.parallelIndex}`);
  }
});
