import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { Notebook, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import type { TranslationBundle } from '@jupyterlab/translation';

import { cellRoles, tagsOf } from '../components/cellTags';
import { bundleOf } from './pluginKit';

type Cell = Notebook['widgets'][number];
type ICellModel = Cell['model'];

/** Class of the badges that show a cell's roles. */
const BADGES_CLASS = 'jp-nbtools-CellRoles';

/**
 * Show, on each cell, the roles its Productionize tags give it (parameters,
 * export[: module], main, test, skip), updated as the tags change.
 */
function showRoles(cell: Cell, trans: TranslationBundle): void {
  const roles = cellRoles(tagsOf(cell.model.getMetadata('tags')));
  let badges = cell.node.querySelector<HTMLElement>(`:scope > .${BADGES_CLASS}`);
  if (roles.length === 0) {
    badges?.remove();
    return;
  }
  if (!badges) {
    badges = document.createElement('div');
    badges.className = BADGES_CLASS;
    badges.setAttribute('role', 'group');
    cell.node.prepend(badges);
  }
  badges.setAttribute('aria-label', trans.__('Cell roles: %1', roles.join(', ')));
  badges.replaceChildren(
    ...roles.map(role => {
      const badge = document.createElement('span');
      badge.className = 'jp-nbtools-CellRole';
      badge.dataset.role = role.split(':')[0];
      badge.textContent = role;
      return badge;
    })
  );
}

/** Keep the badges of every cell of `panel` current. */
function follow(panel: NotebookPanel, trans: TranslationBundle): void {
  const watched = new WeakSet<ICellModel>();
  const update = (): void => {
    for (const cell of panel.content.widgets) {
      if (!watched.has(cell.model)) {
        watched.add(cell.model);
        cell.model.metadataChanged.connect(() => showRoles(cell, trans));
      }
      showRoles(cell, trans);
    }
  };
  void panel.context.ready.then(() => {
    update();
    // The notebook makes the widgets of new cells in its own handler, connected earlier.
    panel.model?.cells.changed.connect(update);
  });
}

/**
 * Cell roles: tagged cells show their Productionize role in the notebook.
 */
const cellRolesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:cell-roles',
  description: 'Badges on notebook cells showing their Productionize roles.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ITranslator],
  activate: (
    _app: JupyterFrontEnd,
    tracker: INotebookTracker,
    translator: ITranslator | null
  ): void => {
    const trans = bundleOf(translator);
    tracker.forEach(panel => follow(panel, trans));
    tracker.widgetAdded.connect((_, panel) => follow(panel, trans));
  }
};

export default cellRolesPlugin;
