/**
 * Set-up steps making on the test's server a state no request of today's API can make: rows
 * an older nbtools stored, a kernel whose environment holds a package twice, a package left
 * half-written by a stopped extraction. The server then
 * answers from that state, by its real code path (no reply of it is rewritten).
 */
import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as path from 'path';

/** Where the server's project lives (GET /nbtools/api/status): its root and store folder. */
async function serverProject(
  page: IJupyterLabPageFixture
): Promise<{ root: string; store_path: string }> {
  const status = await page.request.get('/nbtools/api/status');
  expect(status.ok()).toBe(true);
  return (await status.json()) as { root: string; store_path: string };
}

/**
 * Run Python `code` in the server's interpreter (`python` on the PATH the server was started
 * with, servers.js) with `project` bound to the server's nbtools project and `args` as
 * `sys.argv[1:]`, as a set-up step writing what today's checks refuse (a row as an older
 * nbtools wrote it). Returns what it printed, trimmed.
 */
export async function inServerProject(
  page: IJupyterLabPageFixture,
  code: string,
  ...args: string[]
): Promise<string> {
  const { root, store_path } = await serverProject(page);
  const script = [
    'import os, sys',
    'from pathlib import Path',
    'from nbtools.project import Project',
    'project = Project(Path(os.environ["NBTOOLS_UI_ROOT"]), Path(os.environ["NBTOOLS_UI_STORE"]))',
    code
  ].join('\n');
  const output = execFileSync('python', ['-c', script, ...args], {
    encoding: 'utf-8',
    // the values by name, never spliced into the code
    env: { ...process.env, NBTOOLS_UI_ROOT: root, NBTOOLS_UI_STORE: store_path },
    timeout: 60_000
  });
  return output.trim();
}

/**
 * Store an e-mail notification target of job `jobId` to `destination` as an older nbtools
 * stored it, unchecked (today's check refuses it: the server marks it with its `problem`);
 * resolves to the target's id.
 */
export async function targetStoredByAnOlderNbtools(
  page: IJupyterLabPageFixture,
  jobId: number,
  destination: string
): Promise<number> {
  const code = [
    'from nbtools.metrics.tables import NotificationTarget',
    'with project.store.session(write=True) as session:',
    '    target = NotificationTarget(job_id=int(sys.argv[1]), channel="email",',
    '        destination=sys.argv[2], events=["failure"], enabled=True)',
    '    session.add(target)',
    '    session.flush()',
    '    print(target.id)'
  ].join('\n');
  return Number(await inServerProject(page, code, String(jobId), destination));
}

/**
 * Catalog datasets that share a location, as an older nbtools's catalog held them and its
 * upgrade kept them (marked `shares_location`): for each location in `shared`, a dataset of
 * each of its names. Resolves to a function removing them again (the catalog is the server's,
 * read by every later test on it).
 */
export async function datasetsSharingLocations(
  page: IJupyterLabPageFixture,
  shared: Record<string, string[]>
): Promise<() => Promise<void>> {
  const code = [
    'import json',
    'from nbtools.data.tables import datasets',
    'shared = json.loads(sys.argv[1])',
    'with project.store.engine.begin() as connection:',
    '    for location, names in shared.items():',
    '        for name in names:',
    '            connection.execute(datasets.insert().values(name=name, location=location,',
    '                shares_location=True, classification="internal"))'
  ].join('\n');
  await inServerProject(page, code, JSON.stringify(shared));
  const names = Object.values(shared).flat();
  return async () => {
    const remove = [
      'import json',
      'from nbtools.data.tables import datasets',
      'with project.store.engine.begin() as connection:',
      '    connection.execute(datasets.delete().where(datasets.c.name.in_(json.loads(sys.argv[1]))))'
    ].join('\n');
    await inServerProject(page, remove, JSON.stringify(names));
  };
}

/** The kernel kernelWithSixTwice makes: its name, and the folder holding six twice. */
export interface SixTwiceKernel {
  readonly name: string;
  /** The folder, absolute, holding `six-<version>.dist-info` for each of `versions`. */
  readonly folder: string;
  readonly versions: readonly [string, string];
  /** Remove the kernel (the folder goes with the test's `tmpPath`). */
  remove(): Promise<void>;
}

/** The server's data folder for kernels a test makes (jupyter_server_test_config.py). */
const KERNELS = 'kernel-data/kernels';

/**
 * A kernel like the server's `python3` whose environment holds six twice, as an interrupted
 * upgrade leaves it: two metadata directories, `six-1.17.0.dist-info` and
 * `six-1.0.0.dist-info`, in one folder (in `tmpPath`) first on its `sys.path` (its spec's
 * `PYTHONPATH`, before the test run's own). Made through the contents API, as a user installs
 * a kernel, and made known to the page; a notebook using it (notebookJson's `kernel`) is
 * captured with six's `duplicates`.
 */
export async function kernelWithSixTwice(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<SixTwiceKernel> {
  const { root } = await serverProject(page);
  const versions = ['1.17.0', '1.0.0'] as const;
  const site = `${tmpPath}/site`;
  for (const version of versions) {
    const metadata = `Metadata-Version: 2.1\nName: six\nVersion: ${version}\n\n`;
    const file = `${site}/six-${version}.dist-info/METADATA`;
    expect(await page.contents.uploadContent(metadata, 'text', file)).toBe(true);
  }
  const specs = await (await page.request.get('/api/kernelspecs')).json();
  const python3 = specs.kernelspecs.python3.spec as { argv: string[] };
  const name = `python3-six-twice-${Date.now().toString(36)}`;
  const folder = `${root}/${site}`;
  const pythonPath = [folder, process.env.PYTHONPATH].filter(Boolean).join(':');
  const spec = {
    argv: python3.argv,
    display_name: 'Python 3 (six twice)',
    language: 'python',
    env: { PYTHONPATH: pythonPath }
  };
  const file = `${KERNELS}/${name}/kernel.json`;
  expect(await page.contents.uploadContent(JSON.stringify(spec), 'text', file)).toBe(true);
  // The page read the kernels when it loaded: it learns of the new one now, else a notebook
  // of it opens in the default kernel.
  await page.evaluate(() => window.jupyterapp.serviceManager.kernelspecs.refreshSpecs());
  return {
    name,
    folder,
    versions,
    remove: async () => {
      await page.contents.deleteDirectory(`${KERNELS}/${name}`);
      await page.evaluate(() => window.jupyterapp.serviceManager.kernelspecs.refreshSpecs());
    }
  };
}

/** The checkout's root: its Python `tests` package holds the pytest suite's helpers. */
const CHECKOUT = path.resolve(__dirname, '..', '..');

/**
 * Leave the package of the notebook at `notebook` in `output` (both from the server's root)
 * half-written, as a stopped write leaves it: a real `nbtools extract NOTEBOOK -o OUTPUT`, run
 * in the server's project, killed (SIGKILL) as it moves its new manifest into place, as
 * tests/server/test_extract.py kills it (tests/held.py). Resolves to what
 * `nbtools extract --check` then refuses it with, as it prints it (on one line, paths from the
 * server's root, as the REST API gives them).
 */
export async function packageHalfWritten(
  page: IJupyterLabPageFixture,
  notebook: string,
  output: string
): Promise<string> {
  const code = [
    'sys.path.insert(0, sys.argv[1])',
    'from tests import held',
    'from nbtools.export.model import MANIFEST',
    'extract = ["extract", sys.argv[2], "-o", sys.argv[3], "--lineage", "off"]',
    'stop = held.Stop("os.rename", f".{MANIFEST}.")',
    'killed = held.run(project.root, *extract, stop=stop)',
    'assert killed.returncode == held.KILLED, killed.stderr',
    'checked = held.run(project.root, *extract, "--check")',
    'assert checked.returncode == 1, checked.stderr',
    // after the warnings of the test run's own variables (NBTOOLS_UI_*)
    'said = " ".join(checked.stderr.partition("Error: ")[2].split())',
    'assert said, checked.stderr',
    'print(said.replace(f"{project.root}/", ""))'
  ].join('\n');
  return inServerProject(page, code, CHECKOUT, notebook, output);
}
