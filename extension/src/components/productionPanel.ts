import { PathExt } from '@jupyterlab/coreutils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { PanelWithToolbar, SidePanel, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate } from '@lumino/disposable';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { AccordionPanel, Widget } from '@lumino/widgets';

import { productionIcon } from '../icons';
import type { IProductionPanel } from '../tokens';
import { StatusModel, StatusView } from './status';

/**
 * The Production panel: a side panel with one collapsible section per
 * feature, the built-in Status section first, following the active notebook.
 */
export class ProductionPanel extends SidePanel implements IProductionPanel {
  constructor(options: ProductionPanel.IOptions = {}) {
    super({ translator: options.translator ?? undefined });
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

    this._statusModel = new StatusModel();
    this.addSection({
      id: 'nbtools-status',
      label: trans.__('Status'),
      rank: 0,
      widget: this._createStatusSection()
    });

    this._tracker = options.tracker ?? null;
    if (this._tracker) {
      this._tracker.currentChanged.connect(this._onCurrentChanged, this);
      this._onCurrentChanged(this._tracker, this._tracker.currentWidget);
    } else {
      this._showNotebookPath();
    }
  }

  get notebookPath(): string | null {
    return this._notebookPath;
  }

  get notebookPathChanged(): ISignal<this, string | null> {
    return this._notebookPathChanged;
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
    const index = this._sections.findIndex(section => section.widget.id === id);
    if (index === -1) {
      return false;
    }
    (this.content as AccordionPanel).expand(index);
    return true;
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

  private _createStatusSection(): PanelWithToolbar {
    const section = new PanelWithToolbar();
    section.addClass('jp-nbtools-StatusSection');
    section.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: this._bundle.__('Refresh status'),
        onClick: () => {
          void this._statusModel.refresh();
        }
      })
    );
    section.addWidget(new StatusView(this._statusModel, this._bundle));
    return section;
  }

  private _onCurrentChanged(_sender: INotebookTracker, notebook: NotebookPanel | null): void {
    if (this._context) {
      this._context.pathChanged.disconnect(this._showNotebookPath, this);
    }
    this._context = notebook?.context ?? null;
    if (this._context) {
      this._context.pathChanged.connect(this._showNotebookPath, this);
    }
    this._showNotebookPath();
  }

  private _showNotebookPath(): void {
    const path = this._context?.path ?? null;
    const node = this._notebookLabel.node;
    // The file name is what fits in a narrow sidebar; the tooltip has the path.
    node.textContent = path === null ? this._bundle.__('No notebook open') : PathExt.basename(path);
    node.title = path ?? '';
    node.classList.toggle('jp-mod-empty', path === null);
    if (path !== this._notebookPath) {
      this._notebookPath = path;
      this._notebookPathChanged.emit(path);
    }
  }

  private _bundle: TranslationBundle;
  private _tracker: INotebookTracker | null;
  private _context: NotebookPanel['context'] | null = null;
  private _notebookPath: string | null = null;
  private _notebookPathChanged = new Signal<this, string | null>(this);
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
    translator?: ITranslator | null;
  }
}
