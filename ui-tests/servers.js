// Playwright's global set-up of the UI tests: one JupyterLab per worker, all started at
// once. (Playwright's `webServer` entries start one after the other: on a loaded machine each
// JupyterLab took 10-25 s to start, and the tests waited for the sum.) Returns the teardown,
// which stops them as `webServer` did: SIGTERM, so that each removes its scratch folder
// (jupyter_server_test_config.py), then SIGKILL after 10 s.
const { spawn } = require('child_process');

/** How long a JupyterLab may take to start on a loaded machine. */
const START_MS = 240 * 1000;
/** How long a JupyterLab may take to stop once asked. */
const STOP_MS = 10 * 1000;

/** Whether the server at `url` answers (as Playwright's `webServer.url` check: below 404). */
async function answers(url) {
  try {
    const response = await fetch(url, { redirect: 'manual' });
    return response.status < 404;
  } catch {
    return false;
  }
}

/** Start the JupyterLab of port `port` and resolve once it answers at /lab. */
async function start(port) {
  const server = spawn('jupyter', ['lab', '--config', 'jupyter_server_test_config.py'], {
    cwd: __dirname,
    env: { ...process.env, NBTOOLS_UI_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe']
  });
  server.stderr.on('data', chunk => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      process.stderr.write(`[WebServer ${port}] ${line}\n`);
    }
  });
  const exited = new Promise(resolve => server.once('exit', resolve));
  const url = `http://127.0.0.1:${port}/lab`;
  const deadline = Date.now() + START_MS;
  while (!(await answers(url))) {
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error(`JupyterLab did not start at ${url} (exit code ${server.exitCode})`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return { server, exited };
}

/** Stop a started JupyterLab: SIGTERM, then SIGKILL if it is still running after STOP_MS. */
async function stop({ server, exited }) {
  if (server.exitCode !== null) {
    return;
  }
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), STOP_MS);
  await exited;
  clearTimeout(timer);
}

module.exports = async config => {
  const first = Number(process.env.NBTOOLS_UI_PORT || 8888);
  const ports = Array.from({ length: config.workers }, (_, index) => first + index);
  const started = await Promise.allSettled(ports.map(start));
  const servers = started
    .filter(result => result.status === 'fulfilled')
    .map(result => result.value);
  const teardown = () => Promise.all(servers.map(stop));
  const failed = started.find(result => result.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  return teardown;
};
