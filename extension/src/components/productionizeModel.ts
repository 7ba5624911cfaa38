import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { IStateDB } from '@jupyterlab/statedb';
import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';

import { NbtoolsApiError, asError, extractPackage, fieldOf } from '../api';
import { CommandIDs } from '../tokens';
import type { ExtractOrphan, ExtractProblem, ExtractReport, ExtractRequest } from '../api';
import { nbdevDirectives, tagsOf, toggleCellTag } from './cellTags';
import type { ExportTag } from './cellTags';
import { conflictOf, declined } from './packageConflicts';
import type { IFileConflict, IOwnedPackage } from './packageConflicts';
import { ServePreviewModel } from './servePreviewModel';

/** The steps of the wizard, in order. */
export const STEPS = ['tags', 'options', 'preview', 'write', 'serve', 'schedule'] as const;
export type Step = (typeof STEPS)[number];

/** One code cell as the tag overview shows it. */
export interface ICellRow {
  index: number;
  id: string;
  preview: string;
  tags: string[];
  directives: string[];
}

/** What the user chooses in the options step. */
export interface IPackageOptions {
  name: string;
  version: string;
  output: string;
  venv: boolean;
}

/** The options typed into a text field of the Options step. */
export type TextOption = 'name' | 'version' | 'output';

const TEXT_OPTIONS: readonly TextOption[] = ['name', 'version', 'output'];

/** What the wizard remembers of each notebook (in the state database). */
export interface IWizardState {
  step: Step;
  options: IPackageOptions;
}

/** Key of the wizard's per-notebook state in the state database. */
const STATE_KEY = 'jupyterlab-nbtools:productionize';

/** How the wizard asks the user to confirm what it is about to do. */
export interface IWizardPrompts {
  /** The notebook has unsaved changes: `true` to save it and go on. */
  saveFirst(path: string): Promise<boolean>;
  /** The output directory holds another notebook's package: `true` to replace it. */
  replacePackage(owned: IOwnedPackage): Promise<boolean>;
  /** The write would replace edited files, or go beside other files: `true` to write. */
  writeOver(conflict: IFileConflict): Promise<boolean>;
}

function defaultState(): IWizardState {
  return { step: 'tags', options: { name: '', version: '0.1.0', output: '', venv: false } };
}

/**
 * State of the Productionize wizard for the active notebook. Each notebook
 * keeps its own step and options (package name, output directory), also
 * across reloads when a state database is given.
 */
export class ProductionizeModel extends VDomModel {
  constructor(
    commands: JupyterFrontEnd['commands'],
    trans: TranslationBundle,
    prompts: IWizardPrompts,
    state: IStateDB | null = null
  ) {
    super();
    this._commands = commands;
    this._trans = trans;
    this._prompts = prompts;
    this._state = state;
    this.serve.stateChanged.connect(this._changed, this);
    this._restored = state
      ? state
          .fetch(STATE_KEY)
          .then(saved => {
            const notebooks = (saved as { notebooks?: Record<string, IWizardState> } | undefined)
              ?.notebooks;
            for (const [path, wizard] of Object.entries(notebooks ?? {})) {
              if (!this._wizards.has(path)) {
                this._wizards.set(path, wizard);
              }
            }
            this._load();
          })
          .catch(() => undefined)
      : Promise.resolve();
  }

  /**
   * The server checked a notebook (a preview, check or write, answered or
   * refused with problems): the problems it found, none when all is fixed.
   */
  get problemsFound(): ISignal<this, IProblemsFound> {
    return this._problemsFound;
  }

  /** Resolved once the saved per-notebook state is loaded. */
  get restored(): Promise<void> {
    return this._restored;
  }

  get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  set notebook(panel: NotebookPanel | null) {
    if (panel === this._notebook) {
      return;
    }
    this._notebook?.model?.contentChanged.disconnect(this._contentChanged, this);
    this._notebook = panel;
    panel?.model?.contentChanged.connect(this._contentChanged, this);
    this.preview = null;
    this.result = null;
    this.message = null;
    this.refused = null;
    this._load();
  }

  step: Step = 'tags';
  options: IPackageOptions = defaultState().options;
  busy = false;
  preview: ExtractReport | null = null;
  result: ExtractReport | null = null;
  /** Problems of a write the server refused, or `null`. */
  refused: ExtractProblem[] | null = null;
  /** An error or notice to show, or `null`. */
  message: string | null = null;
  /** The Serve step: a preview of the written package. */
  readonly serve = new ServePreviewModel();

  /**
   * The option the server refused the last call over (`details.field`), with
   * its message, or `null`: the Options step shows it next to that field.
   */
  get optionError(): { option: TextOption; message: string } | null {
    const option = fieldOf(this._lastError) as TextOption | null;
    if (option === null || !TEXT_OPTIONS.includes(option) || this.message === null) {
      return null;
    }
    return { option, message: this.message };
  }

  /**
   * The package's directory (relative to the root): where it was written, or
   * where the preview says it goes (written in an earlier session, or not yet:
   * the server then says so when the Serve step starts it).
   */
  get packageDir(): string | null {
    return this.result?.written ? this.result.output : (this.preview?.output ?? null);
  }

  dispose(): void {
    this.serve.dispose();
    super.dispose();
  }

  /** The code cells of the notebook with their tags and nbdev directives. */
  get cells(): ICellRow[] {
    const widgets = this._notebook?.content.widgets ?? [];
    const rows: ICellRow[] = [];
    widgets.forEach((cell, index) => {
      if (cell.model.type !== 'code') {
        return;
      }
      const source = cell.model.sharedModel.getSource();
      const firstCode = source.split('\n').find(line => line.trim() && !/^\s*#\s*\|/.test(line));
      rows.push({
        index,
        id: cell.model.id,
        preview: (firstCode ?? '').trim(),
        tags: tagsOf(cell.model.getMetadata('tags')),
        directives: nbdevDirectives(source)
      });
    });
    return rows;
  }

  setStep(step: Step): void {
    this.step = step;
    this._remember();
    this._changed();
    if ((step === 'preview' || (step === 'serve' && !this.packageDir)) && !this.busy) {
      void this.runPreview();
    }
  }

  setOptions(options: Partial<IPackageOptions>): void {
    this.options = { ...this.options, ...options };
    this.message = null;
    this.refused = null;
    this._lastError = null;
    this._remember();
    this._changed();
  }

  /**
   * Write the package into `orphan`, the package of a notebook that no longer exists (this
   * one renamed or moved), keeping its import name unless the user chose one; the preview
   * shows it at once.
   */
  async useOrphan(orphan: ExtractOrphan): Promise<void> {
    this.setOptions({ output: orphan.output, name: this.options.name || orphan.package });
    await this.runPreview();
  }

  /** Toggle a tag on the notebook cell at `index` (0-based). */
  toggleTag(index: number, tag: ExportTag): void {
    const cell = this._notebook?.content.widgets[index];
    if (!cell) {
      return;
    }
    toggleCellTag(cell.model, tag);
    this._changed();
  }

  /** Render the package from the notebook as it is now (unsaved edits included). */
  async runPreview(): Promise<void> {
    const report = await this._call({ dry_run: true });
    if (report) {
      this.preview = report;
      this._changed();
    }
  }

  /**
   * Write the package and run its tests. The package is written from the
   * saved notebook (the version it records must be what the user saved): with
   * unsaved changes the user is asked to save first. When the output
   * directory holds another notebook's package, files edited since nbtools
   * wrote them, or other files, the user is asked whether to write anyway.
   */
  async writeAndTest(): Promise<void> {
    const panel = this._notebook;
    if (!panel?.model || this.busy) {
      return;
    }
    if (panel.model.dirty) {
      if (!(await this._prompts.saveFirst(panel.context.path))) {
        return;
      }
      await panel.context.save();
    }
    this.result = null;
    const write = { dry_run: false, test: true, venv: this.options.venv, content: undefined };
    let report = await this._call(write);
    const conflict = conflictOf(this._lastError, this.options.output);
    if (!report && conflict) {
      // The server's refusal says to force the write: a dialog asks instead, and declining leaves
      // a message in the wizard's words (next to the Output directory field if about it).
      this.message = null;
      this._changed();
      const accepted =
        'notebook' in conflict
          ? await this._prompts.replacePackage(conflict)
          : await this._prompts.writeOver(conflict);
      if (accepted) {
        report = await this._call({ ...write, force: true });
      } else {
        this.message = declined(conflict, this._trans);
        this._changed();
      }
    }
    if (report) {
      this.result = report;
      this._changed();
    }
  }

  /** Activate and scroll to the cell at `index` (0-based) of `panel` (by default the followed notebook). */
  async scrollToCell(index: number, panel = this._notebook): Promise<void> {
    const notebook = panel?.content;
    if (!notebook || index < 0 || index >= notebook.widgets.length) {
      return;
    }
    notebook.activeCellIndex = index;
    notebook.mode = 'command';
    await notebook.scrollToItem(index, 'center');
    notebook.activeCell?.node.focus();
  }

  /** Hand the notebook to job creation (the Jobs feature provides the command). */
  async schedule(): Promise<void> {
    const path = this._notebook?.context.path;
    if (!path) {
      return;
    }
    if (!this._commands.hasCommand(CommandIDs.createJob)) {
      this.message = this._trans.__(
        'Job creation is not available: the Jobs feature of nbtools is not installed.'
      );
      this._changed();
      return;
    }
    await this._commands.execute(CommandIDs.createJob, { path });
  }

  private async _call(extra: Partial<ExtractRequest>): Promise<ExtractReport | null> {
    const panel = this._notebook;
    if (!panel?.model) {
      return null;
    }
    this.busy = true;
    this.message = null;
    this.refused = null;
    this._lastError = null;
    this._changed();
    const cells = this._cellsKey();
    const { name, version, output } = this.options;
    try {
      const report = await extractPackage({
        path: panel.context.path,
        content: panel.model.toJSON(),
        version,
        ...(name ? { name } : {}),
        ...(output ? { output } : {}),
        ...extra
      });
      this._problemsFound.emit({ panel, problems: report.problems });
      return report;
    } catch (reason) {
      this._lastError = reason;
      this.message = asError(reason).message;
      this._messageCells = cells;
      if (reason instanceof NbtoolsApiError && Array.isArray(reason.details.problems)) {
        this.refused = reason.details.problems as ExtractProblem[];
        this._problemsFound.emit({ panel, problems: this.refused });
      }
      return null;
    } finally {
      this.busy = false;
      this._changed();
    }
  }

  /**
   * A message about the notebook is stale once its cells change: their sources,
   * tags or nbdev metadata. Other changes leave it: the kernel's language info
   * written into the notebook's metadata when the kernel answers, which can come
   * after a write's answer, would otherwise take the write's error away at once.
   */
  private _contentChanged(): void {
    if (this.message !== null && !this.busy && this._cellsKey() !== this._messageCells) {
      this.message = null;
      this.refused = null;
    }
    this._changed();
  }

  /** What extraction reads of the followed notebook's cells, as one string. */
  private _cellsKey(): string {
    const model = this._notebook?.model;
    if (!model) {
      return '';
    }
    const parts: unknown[] = [model.getMetadata('nbdev') ?? null];
    for (let index = 0; index < model.cells.length; index++) {
      const cell = model.cells.get(index);
      parts.push(
        cell.type,
        cell.sharedModel.getSource(),
        cell.getMetadata('tags') ?? null,
        cell.getMetadata('nbdev') ?? null
      );
    }
    return JSON.stringify(parts);
  }

  /** Show the active notebook's own step and options. */
  private _load(): void {
    const path = this._notebook?.context.path;
    const wizard = (path && this._wizards.get(path)) || defaultState();
    this.step = wizard.step;
    this.options = { ...defaultState().options, ...wizard.options };
    this._changed();
    if (this.step === 'serve' && this._notebook && !this.busy) {
      void this.runPreview(); // where the package is, for the Serve step
    }
  }

  /** Remember the active notebook's step and options. */
  private _remember(): void {
    const path = this._notebook?.context.path;
    if (!path) {
      return;
    }
    this._wizards.set(path, { step: this.step, options: { ...this.options } });
    void this._restored.then(() =>
      this._state?.save(STATE_KEY, {
        notebooks: Object.fromEntries(this._wizards)
      } as unknown as ReadonlyPartialJSONValue)
    );
  }

  private _changed(): void {
    if (!this.isDisposed) {
      this.stateChanged.emit(undefined);
    }
  }

  private _commands: JupyterFrontEnd['commands'];
  private _trans: TranslationBundle;
  private _prompts: IWizardPrompts;
  private _state: IStateDB | null;
  private _restored: Promise<void>;
  private _wizards = new Map<string, IWizardState>();
  /** The cells (see `_cellsKey`) the current message is about. */
  private _messageCells = '';
  private _lastError: unknown = null;
  private _notebook: NotebookPanel | null = null;
  private _problemsFound = new Signal<this, IProblemsFound>(this);
}

/** The problems the server found in a notebook (see `ProductionizeModel.problemsFound`). */
export interface IProblemsFound {
  panel: NotebookPanel;
  problems: ExtractProblem[];
}
