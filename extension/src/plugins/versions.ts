import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { InputDialog } from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  PanelWithToolbar,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';

import { VersionsView } from '../components/versions';
import { VersionsModel } from '../components/versionsModel';
import type { INotebookActions } from '../components/versionsModel';
import { CommandIDs, IProductionPanel } from '../tokens';

/**
 * The Versions section of the Production panel: the active notebook's
 * history of saves, diffs between versions, restore and open-as-copy.
 */
const versionsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:versions',
  description: "The Versions section: the notebook's history, diffs, restore.",
  autoStart: true,
  requires: [IProductionPanel],
  optional: [INotebookTracker, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    tracker: INotebookTracker | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new VersionsModel(trans);
    const current = (): NotebookPanel | null =>
      tracker?.find(widget => widget.context.path === panel.notebookPath) ?? null;

    app.commands.addCommand(CommandIDs.saveVersion, {
      label: trans.__('Save Version…'),
      caption: trans.__('Save the notebook and record it as a named version'),
      isEnabled: () => panel.notebookPath !== null && !model.busy,
      execute: async () => {
        const answer = await InputDialog.getText({
          title: trans.__('Save a named version'),
          label: trans.__('What is this version?'),
          placeholder: trans.__('e.g. baseline before tuning')
        });
        const message = answer.value?.trim();
        if (answer.button.accept && message) {
          await model.saveNamed(message);
        }
      }
    });

    const section = new PanelWithToolbar();
    section.addClass('jp-nbtools-VersionsSection');
    section.toolbar.addItem(
      'save-version',
      new CommandToolbarButton({
        commands: app.commands,
        id: CommandIDs.saveVersion,
        label: trans.__('Save version…')
      })
    );
    section.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Reload the versions'),
        onClick: () => void model.refresh()
      })
    );
    section.addWidget(new VersionsView(model, trans));
    panel.addSection({
      id: 'nbtools-versions',
      label: trans.__('Versions'),
      rank: 10,
      widget: section
    });

    let context: DocumentRegistry.IContext<DocumentRegistry.IModel> | null = null;
    const onSaved = (_: unknown, state: DocumentRegistry.SaveState): void => {
      if (state === 'completed') {
        void model.refresh();
      }
    };
    const follow = (): void => {
      context?.saveState.disconnect(onSaved);
      const notebook = current();
      context = notebook?.context ?? null;
      context?.saveState.connect(onSaved);
      const actions: INotebookActions | null = notebook && {
        save: () => notebook.context.save(),
        revert: () => notebook.context.revert(),
        open: async path => {
          await app.commands.execute('docmanager:open', { path });
        }
      };
      model.setNotebook(panel.notebookPath, actions);
      app.commands.notifyCommandChanged(CommandIDs.saveVersion);
    };
    panel.notebookPathChanged.connect(follow);
    model.stateChanged.connect(() => app.commands.notifyCommandChanged(CommandIDs.saveVersion));
    follow();
  }
};

export default versionsPlugin;
