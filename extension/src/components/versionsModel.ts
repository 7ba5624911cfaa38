import { PathExt } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';

import { NbtoolsApiError, asError, listVersions, restoreVersion, saveVersion } from '../api';
import type { Version, VersionHistory } from '../api';
import { notifySuccess } from './notices';

/**
 * What the Versions section can ask of the open notebook.
 */
export interface INotebookActions {
  /** Save the open notebook (so its current state is recorded first). */
  save(): Promise<void>;
  /** Reload the notebook from disk after a restore. */
  revert(): Promise<void>;
  /** Open another notebook. */
  open(path: string): Promise<void>;
}

/** What a version is compared with. */
export type CompareMode = 'previous' | 'disk';

export type HistoryState =
  | { readonly kind: 'no-notebook' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'ready'; readonly history: VersionHistory };

/**
 * The active notebook's history, the selected version and what it is compared with
 * (the diff itself opens in the main area).
 */
export class VersionsModel extends VDomModel {
  constructor(trans: TranslationBundle) {
    super();
    this._trans = trans;
  }

  get path(): string | null {
    return this._path;
  }

  get history(): HistoryState {
    return this._history;
  }

  get selected(): Version | null {
    const state = this._history;
    if (state.kind !== 'ready' || this._selected === null) {
      return null;
    }
    return state.history.versions.find(v => v.number === this._selected) ?? null;
  }

  get compare(): CompareMode {
    return this._compare;
  }

  /**
   * Why the last action (save, restore, copy) failed, until the next action,
   * save or notebook. A success is a fading notification instead.
   */
  get actionError(): string | null {
    return this._actionError;
  }

  /** Whether an action is running (buttons are disabled meanwhile). */
  get busy(): boolean {
    return this._busy;
  }

  /**
   * Follow another notebook (`null`: none is open).
   */
  setNotebook(path: string | null, actions: INotebookActions | null): void {
    this._actions = actions;
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._selected = null;
    this._actionError = null;
    this._history = path === null ? { kind: 'no-notebook' } : { kind: 'loading' };
    this.stateChanged.emit(undefined);
    // Loaded even while the section is collapsed: its header shows the count.
    if (path !== null) {
      void this.refresh();
    }
  }

  /**
   * The notebook was saved: a failed action's message is stale; load the new version.
   */
  saved(): Promise<void> {
    this._actionError = null;
    return this.refresh();
  }

  /**
   * Fetch the history again.
   */
  async refresh(): Promise<void> {
    const path = this._path;
    if (path === null) {
      return;
    }
    const request = ++this._request;
    let next: HistoryState;
    try {
      next = { kind: 'ready', history: await listVersions(path) };
    } catch (reason) {
      next = { kind: 'failed', error: asError(reason) };
    }
    if (request !== this._request || this.isDisposed || path !== this._path) {
      return;
    }
    this._history = next;
    if (this.selected === null) {
      this._selected = null;
    }
    this.stateChanged.emit(undefined);
  }

  /**
   * Select a version (by number) and show its actions; selecting it again closes them.
   */
  select(number: number): void {
    this._selected = this._selected === number ? null : number;
    this.stateChanged.emit(undefined);
  }

  setCompare(mode: CompareMode): void {
    this._compare = mode;
    this.stateChanged.emit(undefined);
  }

  /**
   * Save the notebook and record it as a version named `message`. Unchanged since its
   * latest version, the notebook gets no new version: that one is named (as the CLI's
   * `nbtools version save -m` does), and the notification says so.
   */
  async saveNamed(message: string): Promise<void> {
    const path = this._path;
    await this._act(async () => {
      if (path === null) {
        return null;
      }
      // The latest version before the save: the save records one only if the file changed.
      const [before] = (await listVersions(path, 1)).versions;
      await this._actions?.save();
      const version = await saveVersion(path, message);
      this._selected = version.number;
      return before === undefined || version.number > before.number
        ? this._trans.__('Saved version %1: %2', version.number, message)
        : this._trans.__(
            'Named version %1: %2 (the notebook is unchanged since, so no new version)',
            version.number,
            message
          );
    });
  }

  /**
   * Put the selected version back into the notebook; its current state is saved first.
   */
  async restore(version: Version): Promise<void> {
    await this._act(async () => {
      await this._actions?.save();
      const result = await restoreVersion(version.id);
      await this._actions?.revert();
      this._selected = null;
      if (result.before !== null && result.before.id === result.after.id) {
        return this._trans.__(
          'The notebook already has the content of version %1.',
          version.number
        );
      }
      return result.before
        ? this._trans.__(
            'Restored version %1; the previous state is kept as version %2.',
            version.number,
            result.before.number
          )
        : this._trans.__('Restored version %1.', version.number);
    });
  }

  /**
   * Write a version to a new notebook next to this one and open it.
   */
  async openCopy(version: Version): Promise<void> {
    await this._act(async () => {
      const dir = PathExt.dirname(version.path);
      const stem = PathExt.basename(version.path, '.ipynb');
      for (let attempt = 0; attempt < 20; attempt++) {
        const suffix = attempt === 0 ? '' : `-${attempt}`;
        const target = PathExt.join(dir, `${stem}-v${version.number}${suffix}.ipynb`);
        try {
          await restoreVersion(version.id, target);
        } catch (reason) {
          if (reason instanceof NbtoolsApiError && reason.status === 409) {
            continue;
          }
          throw reason;
        }
        await this._actions?.open(target);
        return this._trans.__('Opened version %1 as %2.', version.number, target);
      }
      throw new Error(this._trans.__('Could not find a free name for the copy.'));
    });
  }

  private async _act(work: () => Promise<string | null>): Promise<void> {
    this._busy = true;
    this._actionError = null;
    this.stateChanged.emit(undefined);
    try {
      const text = await work();
      if (text !== null) {
        notifySuccess(text);
      }
    } catch (reason) {
      this._actionError = asError(reason).message;
    }
    this._busy = false;
    await this.refresh();
  }

  /**
   * The references the selected version is compared with (`a`, `b`), or
   * `null` (none selected, or the first version compared with the previous).
   */
  get comparedRefs(): [string, string] | null {
    const version = this.selected;
    if (version === null || this._history.kind !== 'ready') {
      return null;
    }
    if (this._compare === 'disk') {
      return [String(version.number), 'disk'];
    }
    const versions = this._history.history.versions;
    const older = versions[versions.indexOf(version) + 1];
    return older ? [String(older.number), String(version.number)] : null;
  }

  private _trans: TranslationBundle;
  private _path: string | null = null;
  private _actions: INotebookActions | null = null;
  private _history: HistoryState = { kind: 'no-notebook' };
  private _selected: number | null = null;
  private _compare: CompareMode = 'previous';
  private _actionError: string | null = null;
  private _busy = false;
  private _request = 0;
}
