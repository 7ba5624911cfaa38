import { PathExt } from '@jupyterlab/coreutils';
import type { IStateDB } from '@jupyterlab/statedb';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { PanelWithToolbar, SidePanel } from '@jupyterlab/ui-components';
import { DisposableDelegate } from '@lumino/disposable';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { getRun } from '../api';
import { productionIcon } from '../icons';
import type { IProductionPanel } from '../tokens';
import { createSection } from './section';
import { SectionsPanel } from './sectionsPanel';
import { StatusView } from './status';
import { StatusModel } from './statusModel';

/** Id of the built-in Status section. */
const STATUS_ID = 'nbtools-status';

/**
 * Where a run's executed notebook is opened (`POST runs/{id}/open` copies it
 * to `nbtools-outputs/<notebook name>-run-<run id>.ipynb` under the root).
 */
const RUN_OUTPUT_PATH = /^nbtools-outputs\/[^/]+-run-(\d+)\.ipynb$/;

/**
 * The key of an output notebook's metadata where the runner names its run
 * (`{"run_id": 7, "notebook_path": …}`): a renamed or moved output has it too.
 */
const OUTPUT_METADATA_KEY = 'nbtools';

/** The run whose output `notebook` is, by its path or else its metadata (`null`: none). */
async function outputRunOf(notebook: NotebookPanel): Promise<number | null> {
  const byPath = RUN_OUTPUT_PATH.exec(notebook.context.path);
  if (byPath) {
    return Number(byPath[1]);
  }
  await notebook.context.ready;
  const stamp = notebook.model?.getMetadata(OUTPUT_METADATA_KEY) as
    { run_id?: unknown } | undefined;
  const run = stamp?.run_id;
  return typeof run === 'number' && Number.isInteger(run) && run > 0 ? run : null;
}

/** What Tab reaches: the enabled controls and tab stops shown in `node`, in document order. */
function focusableIn(node: HTMLElement): HTMLElement[] {
  const controls = node.querySelectorAll<HTMLElement>(
    'button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], [tabindex]:not([tabindex="-1"])'
  );
  return Array.from(controls).filter(control => control.getClientRects().length > 0);
}

/** The notebook a run's output notebook came from. */
interface IRunSource {
  /** The output notebook's path. */
  output: string;
  run: number;
  /** The notebook the run executed. */
  path: string;
}

/** Key of the sections' expanded state in the state database. */
const STATE_KEY = 'jupyterlab-nbtools:production-panel';

/**
 * The Production panel: a side panel with one collapsible section per
 * feature, the built-in Status section first, following the active notebook.
 * Every section starts collapsed (Status expands by itself when the server
 * cannot be reached); what the user expands or collapses is remembered in the
 * state database.
 */
export class ProductionPanel extends SidePanel implements IProductionPanel {
  constructor(options: ProductionPanel.IOptions = {}) {
    super({ translator: options.translator ?? undefined, content: new SectionsPanel() });
    const trans = (options.translator ?? nullTranslator).load('jupyter_nbtools');
    this._bundle = trans;

    this.id = ProductionPanel.ID;
    this.addClass('jp-nbtools-ProductionPanel');
    this.title.icon = productionIcon;
    this.title.caption = trans.__('Production');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Production'));

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-nbtools-ProductionPanel-title');
    heading.node.textContent = trans.__('Production');
    this.header.addWidget(heading);

    this._notebookLabel = new Widget();
    this._notebookLabel.addClass('jp-nbtools-NotebookLabel');
    this._notebookLabel.node.setAttribute('aria-label', trans.__('Active notebook'));
    this._notebookLabel.node.dataset.testid = 'nbtools-active-notebook';
    this.toolbar.addItem('nbtools-active-notebook', this._notebookLabel);

    this._sectionsPanel.expansionToggled.connect(this._onExpansionToggled, this);
    this._state = options.state ?? null;
    this._restoring = this._state ? this._restore(this._state) : Promise.resolve();

    this._statusModel = new StatusModel();
    this.addSection({
      id: STATUS_ID,
      label: trans.__('Status'),
      rank: 0,
      widget: this._createStatusSection()
    });
    // Checked once at start; a failure, then or later, expands Status to show it.
    this._statusModel.stateChanged.connect(() => void this._expandStatusOnFailure());
    void this._statusModel.refresh();

    this._tracker = options.tracker ?? null;
    if (this._tracker) {
      this._tracker.currentChanged.connect(this._onCurrentChanged, this);
      // Which name tells the active notebook apart depends on the other notebooks open.
      this._tracker.widgetAdded.connect((_, added) => {
        added.context.pathChanged.connect(this._showNotebook, this);
        added.disposed.connect(this._showNotebook, this);
        this._showNotebook();
      });
      this._onCurrentChanged(this._tracker, this._tracker.currentWidget);
    } else {
      this._showNotebook();
    }
  }

  get notebookPath(): string | null {
    return this._notebookPath;
  }

  get notebookPathChanged(): ISignal<this, string | null> {
    return this._notebookPathChanged;
  }

  get notebook(): NotebookPanel | null {
    return this._followed;
  }

  followNotebook(follower: IProductionPanel.NotebookFollower): IDisposable {
    let attached: IDisposable | void;
    const follow = (): void => {
      attached?.dispose();
      attached = follower(this._followed, this._notebookPath);
    };
    this._notebookChanged.connect(follow);
    follow();
    return new DisposableDelegate(() => {
      this._notebookChanged.disconnect(follow);
      attached?.dispose();
    });
  }

  addSection(options: IProductionPanel.ISectionOptions): IDisposable {
    const { id, label, rank, widget } = options;
    if (this._sections.some(section => section.widget.id === id)) {
      throw new Error(`The Production panel already has a section with id "${id}".`);
    }
    widget.id = id;
    widget.title.label = label;
    if (widget instanceof PanelWithToolbar) {
      // The toolbar sits in the accordion title: keep its clicks from collapsing the section.
      widget.toolbar.node.addEventListener('click', event => event.stopPropagation());
    }
    widget.setHidden(!(this._expanded.get(id) ?? false));
    const index = this._sections.findIndex(section => section.rank > rank);
    const position = index === -1 ? this._sections.length : index;
    this._sections.splice(position, 0, { rank, widget });
    this.insertWidget(position, widget);

    const remove = (): void => {
      const at = this._sections.findIndex(section => section.widget === widget);
      if (at !== -1) {
        this._sections.splice(at, 1);
      }
    };
    widget.disposed.connect(remove);
    return new DisposableDelegate(() => {
      widget.disposed.disconnect(remove);
      remove();
      if (!widget.isDisposed) {
        widget.parent = null;
      }
    });
  }

  expandSection(id: string): boolean {
    return this._setExpanded(id, true);
  }

  /**
   * Where a command that opens the panel puts the keyboard focus: in the section `id` its
   * control marked current (such as the wizard's step), else its first control, else its
   * header button; without `id`, the first section's header button. `null` when the focus
   * is already there (in that section; without `id`, in the panel: it stays where it is) or
   * there is no such section.
   */
  focusTarget(id?: string): HTMLElement | null {
    const index = id === undefined ? 0 : this._sectionsPanel.widgets.findIndex(w => w.id === id);
    const section = this._sectionsPanel.widgets[index];
    const already = id === undefined ? this.node : section?.node;
    if (section === undefined || already.contains(document.activeElement)) {
      return null;
    }
    const controls = id === undefined ? [] : focusableIn(section.node);
    return (
      controls.find(control => control.hasAttribute('aria-current')) ??
      controls[0] ??
      this._sectionsPanel.toggles[index]
    );
  }

  /**
   * Fetch the server status again.
   */
  refreshStatus(): Promise<void> {
    return this._statusModel.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._statusModel.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  /** Expand Status when the server status failed (after the saved states are applied). */
  private async _expandStatusOnFailure(): Promise<void> {
    if (this._statusModel.state.kind === 'failed') {
      await this._restoring;
      this._setExpanded(STATUS_ID, true);
    }
  }

  private _createStatusSection(): PanelWithToolbar {
    const section = createSection({
      className: 'jp-nbtools-StatusSection',
      content: new StatusView(this._statusModel, this._bundle),
      refresh: {
        tooltip: this._bundle.__('Refresh status'),
        onClick: () => void this._statusModel.refresh()
      }
    });
    // It scrolls when the panel is short: the keyboard must reach it (WCAG 2.1.1).
    section.node.tabIndex = 0;
    return section;
  }

  private get _sectionsPanel(): SectionsPanel {
    return this.content as SectionsPanel;
  }

  /** Expand or collapse a section; `false` if there is none with that id. */
  private _setExpanded(id: string, expanded: boolean): boolean {
    const index = this._sections.findIndex(section => section.widget.id === id);
    if (index === -1) {
      return false;
    }
    if (expanded) {
      this._sectionsPanel.expand(index);
    } else {
      this._sectionsPanel.collapse(index);
    }
    return true;
  }

  /** Remember a section's new state (clicked, or expanded by a command). */
  private _onExpansionToggled(_sender: SectionsPanel, index: number): void {
    const widget = this._sectionsPanel.widgets[index];
    const expanded = !widget.isHidden;
    if (this._expanded.get(widget.id) === expanded) {
      return;
    }
    this._expanded.set(widget.id, expanded);
    if (this._restored) {
      void this._save();
    }
  }

  private async _save(): Promise<void> {
    await this._state?.save(STATE_KEY, { expanded: Object.fromEntries(this._expanded) });
  }

  /**
   * Apply the saved states, except to sections toggled before they arrived
   * (those are saved now).
   */
  private async _restore(state: IStateDB): Promise<void> {
    let toggledEarlier = false;
    try {
      const saved = (await state.fetch(STATE_KEY)) as { expanded?: unknown } | undefined;
      toggledEarlier = this._expanded.size > 0;
      const entries = Object.entries(saved?.expanded ?? {}) as [string, unknown][];
      for (const [id, expanded] of entries) {
        if (typeof expanded === 'boolean' && !this._expanded.has(id)) {
          this._expanded.set(id, expanded);
          this._setExpanded(id, expanded);
        }
      }
    } catch (reason) {
      console.warn('nbtools: could not restore the Production panel sections', reason);
    }
    this._restored = true;
    if (toggledEarlier) {
      await this._save();
    }
  }

  private _onCurrentChanged(_sender: INotebookTracker, notebook: NotebookPanel | null): void {
    if (this._notebook) {
      this._notebook.context.pathChanged.disconnect(this._onPathChanged, this);
    }
    this._notebook = notebook;
    if (notebook) {
      notebook.context.pathChanged.connect(this._onPathChanged, this);
    }
    this._onPathChanged();
  }

  /**
   * The active notebook is another file: when it is a run's output notebook
   * (by its path, or the run named in its metadata), find the notebook it came
   * from (the panel follows that one).
   */
  private _onPathChanged(): void {
    const notebook = this._notebook;
    const output = notebook?.context.path ?? '';
    if (this._source?.output !== output) {
      this._source = null;
    }
    this._showNotebook();
    if (notebook === null || this._source !== null) {
      return;
    }
    void outputRunOf(notebook)
      .then(run => (run === null ? null : getRun(run)))
      .then(
        found => {
          // Still the active notebook, and not the run's own notebook (an output saved
          // over its source is an ordinary notebook).
          const current = this._notebook === notebook && notebook.context.path === output;
          if (found && current && found.notebook_path !== output) {
            this._source = { output, run: found.id, path: found.notebook_path };
            this._showNotebook();
          }
        },
        // A file that only looks like an output (its run is gone): an ordinary notebook.
        () => undefined
      );
  }

  private _showNotebook(): void {
    const source = this._source;
    const path = source?.path ?? this._notebook?.context.path ?? null;
    // The source notebook's own tab, when it is open (its actions need it).
    const notebook = source
      ? (this._tracker?.find(panel => panel.context.path === source.path) ?? null)
      : this._notebook;
    const node = this._notebookLabel.node;
    node.textContent =
      path === null
        ? this._bundle.__('No notebook open')
        : source
          ? this._bundle.__(
              'Showing %1 (this is the output of run %2)',
              this._nameOf(source.path),
              source.run
            )
          : this._nameOf(path);
    node.title = source
      ? this._bundle.__(
          '%1, the notebook run %2 executed (its output: %3)',
          path,
          source.run,
          source.output
        )
      : (path ?? '');
    node.classList.toggle('jp-mod-empty', path === null);
    node.classList.toggle('jp-mod-runSource', source !== null);
    const pathChanged = path !== this._notebookPath;
    if (!pathChanged && notebook === this._followed) {
      return;
    }
    this._notebookPath = path;
    this._followed = notebook;
    this._notebookChanged.emit();
    if (pathChanged) {
      this._notebookPathChanged.emit(path);
    }
  }

  /**
   * How the heading names the notebook at `path`: its file name, which is what fits in a
   * narrow sidebar, or its path when another open notebook has that file name too (the
   * tooltip always has the path).
   */
  private _nameOf(path: string): string {
    const name = PathExt.basename(path);
    const namesake = this._tracker?.find(
      other => other.context.path !== path && PathExt.basename(other.context.path) === name
    );
    return namesake ? path : name;
  }

  private _bundle: TranslationBundle;
  private _tracker: INotebookTracker | null;
  private _state: IStateDB | null;
  private _restored = false;
  private _restoring: Promise<void>;
  /** Expanded (`true`) or collapsed, by section id: the user's choices. */
  private _expanded = new Map<string, boolean>();
  /** The active notebook (a run's output notebook, too). */
  private _notebook: NotebookPanel | null = null;
  /** Where the active notebook came from, when it is a run's output notebook. */
  private _source: IRunSource | null = null;
  /** The notebook the followers were last told about. */
  private _followed: NotebookPanel | null = null;
  private _notebookPath: string | null = null;
  private _notebookPathChanged = new Signal<this, string | null>(this);
  private _notebookChanged = new Signal<this, void>(this);
  private _notebookLabel: Widget;
  private _statusModel: StatusModel;
  private _sections: { rank: number; widget: Widget }[] = [];
}

export namespace ProductionPanel {
  /**
   * DOM id of the panel; also its layout-restorer key.
   */
  export const ID = 'nbtools-production-panel';

  export interface IOptions {
    /**
     * Notebook tracker to follow; without it the panel shows no notebook.
     */
    tracker?: INotebookTracker | null;
    /**
     * Where the sections' expanded state is kept across reloads.
     */
    state?: IStateDB | null;
    translator?: ITranslator | null;
  }
}
