import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import type { Widget } from '@lumino/widgets';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { EXPORT_TAGS, hasTag, tagsOf, toggleCellTag } from '../components/cellTags';
import type { ExportTag } from '../components/cellTags';
import { ProductionizeView } from '../components/productionize';
import { ProductionizeModel } from '../components/productionizeModel';
import { showProblems } from '../components/problemMarkers';
import { TestOutputPage, filePreview } from '../components/packagePages';
import type { IPackagePages } from '../components/packagePages';
import { productionIcon } from '../icons';
import { wizardPrompts } from '../components/productionizePrompts';
import { createSection } from '../components/section';
import { CommandIDs as PanelCommandIDs, IProductionPanel } from '../tokens';

/** Command ids of the Productionize feature. */
export namespace CommandIDs {
  /** Toggle a Productionize tag (argument `tag`) on the active cell. */
  export const toggleCellTag = 'nbtools:toggle-cell-tag';
  /** Open the Production panel on the Package section. */
  export const openProductionize = 'nbtools:open-productionize';
}

/** DOM id of the Package section of the Production panel. */
export const SECTION_ID = 'nbtools-productionize';

/**
 * The Productionize wizard in the Production panel, and the commands (with
 * keyboard shortcuts, see `schema/productionize.json`) that tag the active cell.
 */
const productionizePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:productionize',
  description: 'Productionize: tag cells and extract them into a tested package.',
  autoStart: true,
  requires: [IProductionPanel, INotebookTracker, IEditorServices],
  optional: [ICommandPalette, ITranslator, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    tracker: INotebookTracker,
    editorServices: IEditorServices,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    state: IStateDB | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new ProductionizeModel(app.commands, trans, wizardPrompts(trans), state);
    let opened = 0;
    const open = (content: Widget, label: string): void => {
      const page = new MainAreaWidget({ content });
      page.id = `nbtools-package-page-${++opened}`;
      page.title.label = label;
      page.title.icon = productionIcon;
      page.title.closable = true;
      app.shell.add(page, 'main');
      app.shell.activateById(page.id);
    };
    const pages: IPackagePages = {
      openFile: (packageDir, file) =>
        open(filePreview(editorServices, packageDir, file, trans), file.path),
      openTests: (packageDir, tests) => {
        // A failing test's cell link goes back to the notebook the tests were written from.
        const source = model.notebook;
        const goToCell = (cell: number): void => {
          if (source !== null && !source.isDisposed) {
            app.shell.activateById(source.id);
            void model.scrollToCell(cell, source);
          }
        };
        open(
          new TestOutputPage(packageDir, tests, goToCell, trans),
          trans.__('Tests: %1', packageDir)
        );
      }
    };
    const section = createSection({
      className: 'jp-nbtools-ProductionizeSection',
      content: new ProductionizeView(model, trans, pages)
    });
    panel.addSection({ id: SECTION_ID, label: trans.__('Package'), rank: 10, widget: section });
    panel.followNotebook(notebook => {
      model.notebook = notebook;
    });
    // A notebook renamed or moved keeps its wizard: follow each open notebook's file (once,
    // however many views of it are open).
    const followed = new WeakSet<NotebookPanel['context']>();
    const followRenames = (notebook: NotebookPanel): void => {
      const { context } = notebook;
      if (followed.has(context)) {
        return;
      }
      followed.add(context);
      let path = context.path;
      context.pathChanged.connect((_, renamed) => {
        model.moveNotebook(path, renamed);
        path = renamed;
      });
    };
    tracker.forEach(followRenames);
    tracker.widgetAdded.connect((_, notebook) => followRenames(notebook));
    model.problemsFound.connect((_, { panel: notebook, problems }) => {
      if (!notebook.isDisposed) {
        showProblems(notebook, problems, trans);
      }
    });

    app.commands.addCommand(CommandIDs.toggleCellTag, {
      // In the cell context menu's "Tag Cell as" submenu (`inSubmenu`), the tag alone.
      label: args => {
        const tag = typeof args.tag === 'string' ? args.tag : '';
        return args.inSubmenu ? tag : trans.__('Tag Cell as %1', tag);
      },
      caption: trans.__('Add or remove a Productionize tag on the active cell'),
      isToggled: args => {
        const cell = tracker.activeCell;
        return !!cell && hasTag(tagsOf(cell.model.getMetadata('tags')), args.tag as ExportTag);
      },
      isEnabled: () => tracker.activeCell?.model.type === 'code',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            tag: { type: 'string', enum: [...EXPORT_TAGS] },
            inSubmenu: {
              type: 'boolean',
              description: trans.__('Label the item with the tag alone')
            }
          },
          required: ['tag']
        }
      },
      execute: args => {
        const cell = tracker.activeCell;
        const tag = args.tag as ExportTag;
        if (!cell || cell.model.type !== 'code' || !EXPORT_TAGS.includes(tag)) {
          return;
        }
        toggleCellTag(cell.model, tag);
        model.stateChanged.emit(undefined);
      }
    });

    app.commands.addCommand(CommandIDs.openProductionize, {
      label: trans.__('Productionize Notebook'),
      caption: trans.__('Tag cells and extract them into a tested package'),
      execute: () => app.commands.execute(PanelCommandIDs.openPanel, { section: SECTION_ID })
    });

    if (palette) {
      const category = trans.__('Notebook Production');
      palette.addItem({ command: CommandIDs.openProductionize, category });
      for (const tag of EXPORT_TAGS) {
        palette.addItem({ command: CommandIDs.toggleCellTag, args: { tag }, category });
      }
    }
  }
};

export default productionizePlugin;
