// Playwright configuration of the UI tests: Galata's defaults, Debian's
// Chromium (never a downloaded browser) and the JupyterLabs started for the run (servers.js).
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// NBTOOLS_UI_PORT lets several checkouts run their UI tests at the same time:
// worker N uses the JupyterLab on port + N (see tests/fixtures.ts).
const port = Number(process.env.NBTOOLS_UI_PORT || 8888);
// Two workers by default: most of a UI test is waiting (for a kernel, a run, a
// page), so two of them share CI's 2 cores well. NBTOOLS_UI_WORKERS overrides.
const workers = Number(process.env.NBTOOLS_UI_WORKERS || 2);
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

module.exports = {
  ...baseConfig,
  testDir: './tests',
  workers,
  retries: 0,
  // JupyterLab alone can take a while to start on a loaded machine (see tests/fixtures.ts).
  timeout: 240 * 1000,
  // How long an assertion waits for the UI to reach the expected state. It returns as
  // soon as the state is reached; Playwright's 5 s default was too short for a save,
  // a version or a form answer when the machine is busy with other builds.
  expect: { timeout: 20 * 1000 },
  // Never open or serve the HTML report by itself.
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    // Videos need a downloaded ffmpeg; traces do not.
    video: 'off',
    // A failed test keeps its trace (each action's DOM snapshot, the network, the
    // console); the screencast frames are left out: recording them for every test,
    // passed or not, cost about a quarter of a short test's time (docs/architecture.md).
    trace: { mode: 'retain-on-failure', screenshots: false },
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: chromiumArgs
    }
  },
  // One JupyterLab, with its own scratch project, per worker, all started at once: servers.js
  // (worker N uses the one on port + N, see tests/fixtures.ts).
  globalSetup: require.resolve('./servers.js')
};
