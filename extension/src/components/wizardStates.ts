import type { IStateDB } from '@jupyterlab/statedb';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';

import type { ExtractProblem, ExtractReport, ExtractSetPackage } from '../api';

/** The steps of the wizard, in order. */
export const STEPS = ['tags', 'options', 'preview', 'write', 'serve', 'schedule'] as const;
export type Step = (typeof STEPS)[number];

/** What the user chooses in the options step. */
export interface IPackageOptions {
  name: string;
  version: string;
  output: string;
  /** What the package's data is used for (the usage rule's purpose); empty: none. */
  purpose: string;
  venv: boolean;
  /** The other notebooks of its folder (paths from the root) joining it in one package. */
  include: string[];
}

/** What the wizard remembers of each notebook (in the state database). */
export interface IWizardState {
  step: Step;
  options: IPackageOptions;
}

/**
 * The wizard of one notebook: what is remembered (step and options) and, for this session,
 * the answers of the calls made for it. A call's answer is written into the wizard of the
 * notebook it was made for, whichever notebook is shown when it comes back.
 */
export interface INotebookWizard extends IWizardState {
  /** A call for this notebook is under way. */
  busy: boolean;
  preview: ExtractReport | null;
  result: ExtractReport | null;
  /** Problems of a write the server refused, or `null`. */
  refused: ExtractProblem[] | null;
  /** An error or notice to show, or `null`. */
  message: string | null;
  /** The error of the last call, or `null`. */
  lastError: unknown;
  /** The cells (see `ProductionizeModel`) the message is about. */
  messageCells: string;
  /** The package of several notebooks that lists this one, once a call has said so. */
  setPackage: ExtractSetPackage | null;
  /** The notebooks of its folder (itself included), once a call has said; else `null`. */
  folderNotebooks: string[] | null;
}

/** Key of the wizards' remembered state in the state database. */
const STATE_KEY = 'jupyterlab-nbtools:productionize';

function defaultState(): IWizardState {
  return {
    step: 'tags',
    options: { name: '', version: '', output: '', purpose: '', venv: false, include: [] }
  };
}

/** A wizard at `state`, with no call made yet. */
export function newWizard(state: IWizardState = defaultState()): INotebookWizard {
  return {
    step: state.step,
    options: { ...defaultState().options, ...state.options },
    busy: false,
    preview: null,
    result: null,
    refused: null,
    message: null,
    lastError: null,
    messageCells: '',
    setPackage: null,
    folderNotebooks: null
  };
}

/**
 * The wizards of the notebooks, by path (relative to the root). Each notebook's step and
 * options are remembered in the state database once the user changes them, and follow the
 * notebook when it is renamed or moved.
 */
export class WizardStates {
  constructor(state: IStateDB | null) {
    this._state = state;
    this.restored = state
      ? state
          .fetch(STATE_KEY)
          .then(saved => this._restore(saved))
          .catch(() => undefined)
      : Promise.resolve();
  }

  /** Resolved once the remembered states are loaded. */
  readonly restored: Promise<void>;

  /** The wizard of the notebook at `path` (made on first use). */
  get(path: string): INotebookWizard {
    let wizard = this._wizards.get(path);
    if (!wizard) {
      wizard = newWizard(this._remembered.get(path));
      this._wizards.set(path, wizard);
    }
    return wizard;
  }

  /** Remember the step and options of the notebook at `path`. */
  remember(path: string): void {
    const { step, options } = this.get(path);
    this._remembered.set(path, { step, options: { ...options } });
    this._save();
  }

  /** The notebook at `from` is now at `to`: its wizard goes with it. */
  move(from: string, to: string): void {
    if (from === to) {
      return;
    }
    for (const byPath of [this._wizards, this._remembered] as Map<string, unknown>[]) {
      const moved = byPath.get(from);
      byPath.delete(from);
      if (moved) {
        byPath.set(to, moved);
      } else {
        byPath.delete(to); // what a notebook once at `to` left there is not this one's
      }
    }
    this._save();
  }

  /**
   * Apply the remembered states, except to the notebooks the user changed before they
   * arrived (those are kept, and saved at their next change).
   */
  private _restore(saved: unknown): void {
    const notebooks = (saved as { notebooks?: Record<string, IWizardState> } | undefined)
      ?.notebooks;
    for (const [path, state] of Object.entries(notebooks ?? {})) {
      if (this._remembered.has(path)) {
        continue;
      }
      this._remembered.set(path, state);
      const shown = this._wizards.get(path);
      if (shown) {
        const { step, options } = newWizard(state);
        Object.assign(shown, { step, options });
      }
    }
  }

  private _save(): void {
    void this.restored.then(() =>
      this._state?.save(STATE_KEY, {
        notebooks: Object.fromEntries(this._remembered)
      } as unknown as ReadonlyPartialJSONValue)
    );
  }

  private _state: IStateDB | null;
  /** Every notebook's wizard of this session. */
  private _wizards = new Map<string, INotebookWizard>();
  /** The step and options remembered of each notebook the user changed them for. */
  private _remembered = new Map<string, IWizardState>();
}
