import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';

import { NbtoolsApiError, extractPackage } from '../api';
import { CommandIDs } from '../tokens';
import type { ExtractProblem, ExtractReport, ExtractRequest } from '../api';
import { nbdevDirectives, tagsOf, toggleCellTag } from './cellTags';
import type { ExportTag } from './cellTags';

/** The steps of the wizard, in order. */
export const STEPS = ['tags', 'options', 'preview', 'write', 'schedule'] as const;
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

/**
 * State of the Productionize wizard for the active notebook.
 */
export class ProductionizeModel extends VDomModel {
  constructor(commands: JupyterFrontEnd['commands'], trans: TranslationBundle) {
    super();
    this._commands = commands;
    this._trans = trans;
  }

  get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  set notebook(panel: NotebookPanel | null) {
    if (panel === this._notebook) {
      return;
    }
    this._notebook?.model?.contentChanged.disconnect(this._changed, this);
    this._notebook = panel;
    panel?.model?.contentChanged.connect(this._changed, this);
    this.preview = null;
    this.result = null;
    this.message = null;
    this._changed();
  }

  step: Step = 'tags';
  options: IPackageOptions = { name: '', version: '0.1.0', output: '', venv: false };
  busy = false;
  preview: ExtractReport | null = null;
  result: ExtractReport | null = null;
  /** Problems of a write the server refused, or `null`. */
  refused: ExtractProblem[] | null = null;
  /** An error or notice to show, or `null`. */
  message: string | null = null;

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
    this._changed();
    if (step === 'preview' && !this.busy) {
      void this.runPreview();
    }
  }

  setOptions(options: Partial<IPackageOptions>): void {
    this.options = { ...this.options, ...options };
    this._changed();
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

  /** Write the package and run its tests. */
  async writeAndTest(): Promise<void> {
    this.result = null;
    const report = await this._call({
      dry_run: false,
      test: true,
      venv: this.options.venv
    });
    if (report) {
      this.result = report;
      this._changed();
    }
  }

  /** Activate and scroll to the notebook cell at `index` (0-based). */
  async scrollToCell(index: number): Promise<void> {
    const notebook = this._notebook?.content;
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
    this._changed();
    const { name, version, output } = this.options;
    try {
      return await extractPackage({
        path: panel.context.path,
        content: panel.model.toJSON(),
        version,
        ...(name ? { name } : {}),
        ...(output ? { output } : {}),
        ...extra
      });
    } catch (reason) {
      this.message = reason instanceof Error ? reason.message : String(reason);
      if (reason instanceof NbtoolsApiError && Array.isArray(reason.details.problems)) {
        this.refused = reason.details.problems as ExtractProblem[];
      }
      return null;
    } finally {
      this.busy = false;
      this._changed();
    }
  }

  private _changed(): void {
    if (!this.isDisposed) {
      this.stateChanged.emit(undefined);
    }
  }

  private _commands: JupyterFrontEnd['commands'];
  private _trans: TranslationBundle;
  private _notebook: NotebookPanel | null = null;
}
