import { PathExt } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';

import {
  asError,
  diffSnapshots,
  exportSnapshot,
  getLastRunEnvironment,
  listSnapshots,
  recreateEnvironment,
  takeSnapshot
} from '../api';
import type {
  ExportFormat,
  LastRunEnvironment,
  RecreateReport,
  Snapshot,
  SnapshotDiff,
  SnapshotSummary
} from '../api';
import { saveBlob } from './download';

/**
 * What the Environment section shows for the active notebook's kernel.
 */
export type EnvironmentState =
  | { readonly kind: 'no-kernel' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: Error }
  | {
      readonly kind: 'ready';
      readonly current: Snapshot;
      readonly others: SnapshotSummary[];
      readonly baseline: string | null;
      readonly diff: SnapshotDiff | null;
      /** The notebook's last successful run with a snapshot, if any. */
      readonly lastRun: LastRunEnvironment | null;
    };

/**
 * The kernel's current snapshot, the snapshot it is compared with (by default
 * the one of the notebook's last successful run), and exports.
 */
export class EnvironmentModel extends VDomModel {
  get kernel(): string | null {
    return this._kernel;
  }

  get state(): EnvironmentState {
    return this._state;
  }

  /** A line about the last export (or its failure), for a status message. */
  get exportMessage(): string | null {
    return this._exportMessage;
  }

  /** Whether an export is being prepared (a lock file can need index look-ups). */
  get exporting(): boolean {
    return this._exporting;
  }

  /** Set by the view: refresh automatically while the section is visible. */
  visible = false;

  /** Set by the plugin: open the executed notebook of a run. */
  openRun: ((runId: number) => void) | null = null;

  /** Set by the plugin: the commands lineage links execute. */
  commands: CommandRegistry | null = null;

  /**
   * Follow another notebook: its last successful run is the default baseline.
   */
  setNotebook(path: string | null): void {
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._chosen = undefined;
    if (this._state.kind === 'ready' && this.visible) {
      void this.refresh();
    }
  }

  /**
   * Compare with snapshot `id` (captured again first if the section is not ready).
   */
  async show(id: string): Promise<void> {
    const state = this._state;
    const known =
      state.kind === 'ready' &&
      (state.others.some(row => row.id === id) || state.lastRun?.snapshot.id === id);
    if (known) {
      await this.compareWith(id);
    } else {
      this._chosen = id;
      await this.refresh();
    }
  }

  /**
   * Follow another kernel (`null`: no notebook or no kernel).
   */
  setKernel(kernel: string | null): void {
    if (kernel === this._kernel) {
      return;
    }
    this._kernel = kernel;
    this._exportMessage = null;
    this._setState(kernel === null ? { kind: 'no-kernel' } : { kind: 'idle' });
    if (kernel !== null && this.visible) {
      void this.refresh();
    }
  }

  /**
   * Capture the kernel's environment now and compare it with the chosen
   * snapshot (by default the last successful run's, else the most recently
   * seen other one).
   *
   * @returns the state this capture reached (the section may already show a newer one).
   */
  async refresh(): Promise<EnvironmentState> {
    const kernel = this._kernel;
    if (kernel === null) {
      return this._state;
    }
    const chosen = this._chosen;
    const path = this._path;
    return this._load(async () => {
      const [current, lastRun] = await Promise.all([
        takeSnapshot(kernel),
        path === null ? null : getLastRunEnvironment(path)
      ]);
      const others = (await listSnapshots()).filter(row => row.id !== current.id);
      const known = (id: string | null | undefined): id is string | null =>
        id === null ||
        (id !== undefined && (others.some(row => row.id === id) || lastRun?.snapshot.id === id));
      const baseline = known(chosen) ? chosen : (lastRun?.snapshot.id ?? others[0]?.id ?? null);
      const diff = baseline === null ? null : await diffSnapshots(baseline, current.id);
      return { kind: 'ready', current, others, baseline, diff, lastRun };
    });
  }

  /**
   * Compare the current snapshot with another one (`null`: with none); the
   * choice is kept until another notebook is followed.
   */
  async compareWith(baseline: string | null): Promise<void> {
    const state = this._state;
    if (state.kind !== 'ready') {
      return;
    }
    this._chosen = baseline;
    await this._load(async () => ({
      ...state,
      baseline,
      diff: baseline === null ? null : await diffSnapshots(baseline, state.current.id)
    }));
  }

  /**
   * Fetch the current snapshot as a file and hand it to the browser.
   */
  async download(format: ExportFormat, trans: TranslationBundle): Promise<void> {
    if (this._state.kind !== 'ready') {
      return;
    }
    this._exportMessage = trans.__(
      'Preparing %1…',
      format === 'pylock' ? 'pylock.toml' : 'requirements.txt'
    );
    this._exporting = true;
    this.stateChanged.emit(undefined);
    try {
      const exported = await exportSnapshot(this._state.current.id, format);
      saveFile(exported.filename, exported.content);
      const skipped = exported.unlocked.map(item => `${item.name} (${item.reason})`).join(', ');
      const downloaded = exported.index
        ? trans.__('Downloaded %1, its files from %2', exported.filename, exported.index)
        : trans.__('Downloaded %1', exported.filename);
      this._exportMessage = skipped
        ? trans.__('%1; not locked: %2', downloaded, skipped)
        : downloaded;
    } catch (reason) {
      this._exportMessage = trans.__('Export failed: %1', asError(reason).message);
    }
    this._exporting = false;
    this.stateChanged.emit(undefined);
  }

  /**
   * The snapshot a recreate copies by default: the one compared with, else the kernel's
   * (`null` until a capture is ready).
   */
  get recreateTarget(): SnapshotSummary | null {
    const state = this._state;
    if (state.kind !== 'ready') {
      return null;
    }
    const baseline = state.baseline;
    if (baseline === null) {
      return state.current;
    }
    if (state.lastRun?.snapshot.id === baseline) {
      return state.lastRun.snapshot;
    }
    return state.others.find(row => row.id === baseline) ?? state.current;
  }

  /** The followed notebook's folder ('' at the server root, or with no notebook). */
  get folder(): string {
    return this._path === null ? '' : PathExt.dirname(this._path);
  }

  /**
   * Recreate snapshot `id` in a new virtual environment at `path` (relative to the server
   * root); the section lists the new environment's snapshot once it is done.
   */
  async recreate(id: string, path: string): Promise<RecreateReport> {
    const report = await recreateEnvironment(id, path);
    if (this.visible && this._state.kind === 'ready') {
      void this.refresh();
    }
    return report;
  }

  private async _load(work: () => Promise<EnvironmentState>): Promise<EnvironmentState> {
    const request = ++this._request;
    this._setState({ kind: 'loading' });
    let next: EnvironmentState;
    try {
      next = await work();
    } catch (reason) {
      next = { kind: 'failed', error: asError(reason) };
    }
    if (request === this._request && !this.isDisposed) {
      this._setState(next);
    }
    return next;
  }

  private _setState(state: EnvironmentState): void {
    this._state = state;
    this.stateChanged.emit(undefined);
  }

  private _kernel: string | null = null;
  private _path: string | null = null;
  /** The baseline the user chose (`undefined`: none, use the default). */
  private _chosen: string | null | undefined = undefined;
  private _state: EnvironmentState = { kind: 'no-kernel' };
  private _exportMessage: string | null = null;
  private _exporting = false;
  private _request = 0;
}

/**
 * Offer `content` to the browser as a download named `filename`.
 */
function saveFile(filename: string, content: string): void {
  saveBlob(filename, new Blob([content], { type: 'text/plain;charset=utf-8' }));
}
