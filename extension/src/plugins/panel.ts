import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';

import { focusFromCommand } from '../components/focusHandover';
import { ProductionPanel } from '../components/productionPanel';
import { productionIcon } from '../icons';
import { CommandIDs, IProductionPanel } from '../tokens';
import { bundleOf } from './pluginKit';

/**
 * The Production panel in the left sidebar, and the commands that open it
 * (the notebook toolbar's "Productionize" button is declared in
 * `schema/plugin.json`).
 */
const panelPlugin: JupyterFrontEndPlugin<IProductionPanel> = {
  id: 'jupyterlab-nbtools:plugin',
  description: 'The Production panel of nbtools and its Productionize command.',
  autoStart: true,
  provides: IProductionPanel,
  optional: [INotebookTracker, ICommandPalette, ILayoutRestorer, IStateDB, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    state: IStateDB | null,
    translator: ITranslator | null
  ): IProductionPanel => {
    const trans = bundleOf(translator);
    const panel = new ProductionPanel({ tracker, state, translator });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, ProductionPanel.ID);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: args =>
        args.section === 'nbtools-productionize'
          ? trans.__('Productionize')
          : trans.__('Open the Production Panel'),
      caption: trans.__('Open the Production panel for the active notebook'),
      icon: productionIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            section: { type: 'string', description: trans.__('Id of a panel section to expand') }
          }
        }
      },
      execute: args => {
        const section = typeof args.section === 'string' ? args.section : undefined;
        if (section !== undefined) {
          panel.expandSection(section);
        }
        app.shell.activateById(panel.id);
        // A keyboard user is taken to what was opened (Escape goes back to the notebook).
        const target = panel.focusTarget(section);
        if (target !== null) {
          focusFromCommand(target, app.shell.currentWidget?.node ?? null);
        }
      }
    });

    // Escape in the panel (schema/plugin.json): where the G shortcuts tag cells again.
    app.commands.addCommand(CommandIDs.returnToNotebook, {
      label: trans.__('Return to the Notebook'),
      caption: trans.__(
        'Give the keyboard focus back to the notebook the Production panel follows, in command mode'
      ),
      execute: () => {
        // With no notebook open it does nothing (disabled, its Escape would warn in the console).
        const notebook = panel.notebook;
        if (notebook === null) {
          return;
        }
        notebook.content.mode = 'command';
        app.shell.activateById(notebook.id);
      }
    });

    app.commands.addCommand(CommandIDs.refreshStatus, {
      label: trans.__('Refresh Production Status'),
      caption: trans.__('Fetch the nbtools server status again'),
      icon: refreshIcon,
      execute: () => panel.refreshStatus()
    });

    if (palette) {
      const category = trans.__('Notebook Production');
      palette.addItem({ command: CommandIDs.openPanel, category });
      palette.addItem({ command: CommandIDs.refreshStatus, category });
    }

    return panel;
  }
};

export default panelPlugin;
