import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { IStateDB } from '@jupyterlab/statedb';
import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';

import { NbtoolsApiError, extractPackage, fieldOf } from '../api';
import { CommandIDs } from '../tokens';
import type {
  ExtractOrphan,
  ExtractProblem,
  ExtractReport,
  ExtractRequest,
  ExtractSetPackage
} from '../api';
import { nbdevDirectives, tagsOf, toggleCellTag } from './cellTags';
import type { ExportTag } from './cellTags';
import { conflictOf, declined, droppedOf, refusalMessage } from './packageConflicts';
import type { IFileConflict, IOwnedPackage } from './packageConflicts';
import { cellsKey } from './cellsKey';
import { notebooksOf, ownProblems } from './notebookSet';
import { ServePreviewModel } from './servePreviewModel';
import { WizardStates, newWizard } from './wizardStates';
import type { INotebookWizard, IPackageOptions, Step } from './wizardStates';

/** One code cell as the tag overview shows it. */
export interface ICellRow {
  index: number;
  id: string;
  preview: string;
  tags: string[];
  directives: string[];
}

/** The options typed into a text field of the Options step. */
export type TextOption = 'name' | 'version' | 'output' | 'purpose';

const TEXT_OPTIONS: readonly TextOption[] = ['name', 'version', 'output', 'purpose'];

/** How the wizard asks the user to confirm what it is about to do. */
export interface IWizardPrompts {
  /** With unsaved changes, ask to save `notebook` first: `true` once it is saved, to go on. */
  saveFirst(notebook: NotebookPanel): Promise<boolean>;
  /** The output directory holds another notebook's package: `true` to replace it. */
  replacePackage(owned: IOwnedPackage): Promise<boolean>;
  /** The write would replace edited files, or go beside other files: `true` to write. */
  writeOver(conflict: IFileConflict): Promise<boolean>;
}

/**
 * State of the Productionize wizard, shown for the active notebook. Each notebook has its
 * own wizard (see `WizardStates`): its step and options, also across reloads when a state
 * database is given, and the answers of the calls made for it, which never show on
 * another notebook's wizard.
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
    this._wizards = new WizardStates(state);
    this.serve.stateChanged.connect(this._changed, this);
    void this._wizards.restored.then(() => this._shown());
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
    return this._wizards.restored;
  }

  get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  set notebook(panel: NotebookPanel | null) {
    if (panel === this._notebook) {
      return;
    }
    this._notebook?.model?.contentChanged.disconnect(this._contentChanged, this);
    // A message shows until its notebook is left (a call still under way answers later).
    const left = this._wizard;
    if (!left.busy) {
      left.message = null;
      left.refused = null;
      left.lastError = null;
    }
    this._notebook = panel;
    panel?.model?.contentChanged.connect(this._contentChanged, this);
    this._shown();
  }

  /**
   * The notebook at `from` was renamed or moved to `to`: its step and options (and the
   * answers of its calls) go with it, but what its set and folder are, asked again.
   */
  moveNotebook(from: string, to: string): void {
    this._wizards.move(from, to);
    // What the server said of its set and folder named the old path: asked again.
    const moved = this._wizards.get(to);
    moved.setPackage = null;
    moved.folderNotebooks = null;
    this._changed();
  }

  get step(): Step {
    return this._wizard.step;
  }

  get options(): IPackageOptions {
    return this._wizard.options;
  }

  /** A call for the shown notebook is under way. */
  get busy(): boolean {
    return this._wizard.busy;
  }

  get preview(): ExtractReport | null {
    return this._wizard.preview;
  }

  get result(): ExtractReport | null {
    return this._wizard.result;
  }

  /** Problems of a write the server refused, or `null`. */
  get refused(): ExtractProblem[] | null {
    return this._wizard.refused;
  }

  /** An error or notice to show, or `null`. */
  get message(): string | null {
    return this._wizard.message;
  }

  /** The Serve step: a preview of the written package. */
  readonly serve = new ServePreviewModel();

  /**
   * The option the server refused the last call over (`details.field`), with
   * its message, or `null`: the Options step shows it next to that field.
   */
  get optionError(): { option: TextOption; message: string } | null {
    const { lastError, message } = this._wizard;
    const option = fieldOf(lastError) as TextOption | null;
    if (option === null || !TEXT_OPTIONS.includes(option) || message === null) {
      return null;
    }
    return { option, message };
  }

  /**
   * The server's refusal of the notebooks the package is made of (a notebook chosen in
   * "Include other notebooks" that is gone; a write without notebooks of the set whose
   * package it goes into: those, `dropped`), or `null`: the Options step shows it there.
   */
  get notebooksError(): { message: string; dropped: string[] } | null {
    const { lastError, message } = this._wizard;
    const dropped = droppedOf(lastError)?.notebooks ?? [];
    return fieldOf(lastError) === 'notebooks' && message !== null ? { message, dropped } : null;
  }

  /**
   * The package of several notebooks that lists this notebook (known once the server has
   * been asked): the wizard extracts that whole set, never this notebook alone.
   */
  get setPackage(): ExtractSetPackage | null {
    return this._wizard.setPackage;
  }

  /**
   * The other notebooks of this notebook's folder, which "Include other notebooks" offers
   * (paths from the root); `null` until the server has been asked.
   */
  get otherNotebooks(): string[] | null {
    const path = this._notebook?.context.path;
    return this._wizard.folderNotebooks?.filter(notebook => notebook !== path) ?? null;
  }

  /** Include (or leave out) the other notebook at `path` in the package. */
  includeNotebook(path: string, included: boolean): void {
    const others = this.options.include.filter(notebook => notebook !== path);
    this.setOptions({ include: included ? [...others, path] : others });
  }

  /**
   * The package's directory (relative to the root): where it was written, or
   * where the preview says it goes (written in an earlier session, or not yet:
   * the server then says so when the Serve step starts it).
   */
  get packageDir(): string | null {
    const { result, preview } = this._wizard;
    return result?.written ? result.output : (preview?.output ?? null);
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
    this._wizard.step = step;
    this._remember();
    this._changed();
    // The Options step lists the set or the folder's notebooks, which a preview tells
    // (not again after a refusal: the step shows it at its field).
    const { folderNotebooks, lastError } = this._wizard;
    const unknown = step === 'options' && folderNotebooks === null && lastError === null;
    if ((step === 'preview' || unknown || (step === 'serve' && !this.packageDir)) && !this.busy) {
      void this.runPreview();
    }
  }

  setOptions(options: Partial<IPackageOptions>): void {
    const wizard = this._wizard;
    wizard.options = { ...wizard.options, ...options };
    wizard.message = null;
    wizard.refused = null;
    wizard.lastError = null;
    this._remember();
    this._changed();
  }

  /**
   * Write the package into `orphan`, the package of a notebook that no longer exists (this
   * one renamed or moved), keeping its import name unless the user chose one; the preview
   * shows it at once.
   */
  async useOrphan(orphan: ExtractOrphan): Promise<void> {
    if (this.busy) {
      return;
    }
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

  /** Render the package from the notebook as it is now (unsaved edits included); nothing
   * while the wizard is busy (its buttons stay focusable meanwhile, only marked disabled). */
  async runPreview(): Promise<void> {
    const panel = this._notebook;
    if (!panel || this.busy) {
      return;
    }
    const wizard = this._wizardOf(panel);
    let report = await this._call(panel, wizard, { dry_run: true });
    if (report?.set_package && !wizard.setPackage) {
      // The notebook is one of a set's: its package is the set's, never this one's alone.
      wizard.setPackage = report.set_package;
      report = await this._call(panel, wizard, { dry_run: true });
    }
    if (report) {
      wizard.preview = report;
      this._changed();
    }
  }

  /**
   * Write the package and run its tests. The package is written from the
   * saved notebook (the version it records must be what the user saved): with
   * unsaved changes the user is asked to save first. When the output
   * directory holds another notebook's package, files edited since nbtools
   * wrote them, or other files, the user is asked whether to write anyway.
   * `force`: write even so, dropping from a set's package the notebooks left out.
   */
  async writeAndTest(force = false): Promise<void> {
    const panel = this._notebook;
    if (!panel?.model || this.busy) {
      return;
    }
    const wizard = this._wizardOf(panel);
    if (wizard.folderNotebooks === null || (wizard.options.output && !wizard.setPackage)) {
      // Whether the notebook is one of a set's, before writing: an Output directory typed
      // since the last preview may be the set's package, which the write then updates.
      await this.runPreview();
    }
    if (!(await this._prompts.saveFirst(panel))) {
      return;
    }
    wizard.result = null;
    const write = { dry_run: false, test: true, venv: wizard.options.venv, content: undefined };
    let report = await this._call(panel, wizard, { ...write, force });
    const conflict = conflictOf(wizard.lastError, wizard.options.output);
    if (!report && conflict) {
      // The server's refusal says to force the write: a dialog asks instead, and declining leaves
      // a message in the wizard's words (next to the Output directory field if about it).
      wizard.message = null;
      this._changed();
      const accepted =
        'notebook' in conflict
          ? await this._prompts.replacePackage(conflict)
          : await this._prompts.writeOver(conflict);
      if (accepted) {
        report = await this._call(panel, wizard, { ...write, force: true });
      } else {
        wizard.message = declined(conflict, this._trans);
        this._changed();
      }
    }
    if (report) {
      wizard.result = report;
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
      this._wizard.message = this._trans.__(
        'Job creation is not available: the Jobs feature of nbtools is not installed.'
      );
      this._changed();
      return;
    }
    await this._commands.execute(CommandIDs.createJob, { path });
  }

  /**
   * Ask the server about `panel`'s notebook, with `wizard`'s options; its answer (or
   * refusal) goes into `wizard`, the wizard of that notebook, even when another is shown by
   * then.
   */
  private async _call(
    panel: NotebookPanel,
    wizard: INotebookWizard,
    extra: Partial<ExtractRequest>
  ): Promise<ExtractReport | null> {
    if (!panel.model) {
      return null;
    }
    wizard.busy = true;
    wizard.message = null;
    wizard.refused = null;
    wizard.lastError = null;
    this._changed();
    const cells = cellsKey(panel);
    // An empty field asks for the server's default, as leaving out the CLI's flag does.
    const { name, version, output, purpose } = wizard.options;
    const notebooks = notebooksOf(panel.context.path, wizard);
    try {
      const report = await extractPackage({
        path: panel.context.path,
        ...(notebooks ? { notebooks } : {}),
        content: panel.model.toJSON(),
        ...(name ? { name } : {}),
        ...(version ? { version } : {}),
        ...(output ? { output } : {}),
        ...(purpose ? { purpose } : {}),
        ...extra
      });
      wizard.folderNotebooks = report.folder_notebooks;
      this._problemsFound.emit({ panel, problems: ownProblems(panel, report.problems) });
      return report;
    } catch (reason) {
      wizard.lastError = reason;
      wizard.message = refusalMessage(reason, this._trans);
      wizard.messageCells = cells;
      if (reason instanceof NbtoolsApiError && Array.isArray(reason.details.problems)) {
        wizard.refused = reason.details.problems as ExtractProblem[];
        this._problemsFound.emit({ panel, problems: ownProblems(panel, wizard.refused) });
      }
      return null;
    } finally {
      wizard.busy = false;
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
    const wizard = this._wizard;
    if (
      this._notebook &&
      wizard.message !== null &&
      !wizard.busy &&
      cellsKey(this._notebook) !== wizard.messageCells
    ) {
      wizard.message = null;
      wizard.refused = null;
    }
    this._changed();
  }

  /** The wizard of the shown notebook (a blank one when none is). */
  private get _wizard(): INotebookWizard {
    return this._notebook ? this._wizardOf(this._notebook) : this._blank;
  }

  private _wizardOf(panel: NotebookPanel): INotebookWizard {
    return this._wizards.get(panel.context.path);
  }

  /** Show the active notebook's own wizard. */
  private _shown(): void {
    this._changed();
    if (this.step === 'serve' && this._notebook && !this.busy) {
      void this.runPreview(); // where the package is, for the Serve step
    }
  }

  /** Remember the active notebook's step and options. */
  private _remember(): void {
    const path = this._notebook?.context.path;
    if (path) {
      this._wizards.remember(path);
    }
  }

  private _changed(): void {
    if (!this.isDisposed) {
      this.stateChanged.emit(undefined);
    }
  }

  private _commands: JupyterFrontEnd['commands'];
  private _trans: TranslationBundle;
  private _prompts: IWizardPrompts;
  private _wizards: WizardStates;
  /** What the wizard shows while no notebook is open. */
  private _blank = newWizard();
  private _notebook: NotebookPanel | null = null;
  private _problemsFound = new Signal<this, IProblemsFound>(this);
}

/** The problems the server found in a notebook (see `ProductionizeModel.problemsFound`). */
export interface IProblemsFound {
  panel: NotebookPanel;
  problems: ExtractProblem[];
}
