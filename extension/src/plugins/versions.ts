import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { InputDialog } from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandToolbarButton } from '@jupyterlab/ui-components';
import { DisposableDelegate } from '@lumino/disposable';

import { createSection } from '../components/section';
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
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new VersionsModel(trans);

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

    app.commands.addCommand(CommandIDs.showVersion, {
      label: trans.__('Show a Notebook Version'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: { type: 'string', description: trans.__('The notebook') },
            number: { type: 'number', description: trans.__('The version number') }
          },
          required: ['path', 'number']
        }
      },
      execute: async args => {
        const path = args.path;
        if (typeof path !== 'string' || typeof args.number !== 'number') {
          throw new Error(`${CommandIDs.showVersion} needs "path" and "number".`);
        }
        if (panel.notebookPath !== path) {
          await app.commands.execute('docmanager:open', { path });
          await untilFollowing(model, path);
        }
        await app.commands.execute(CommandIDs.openPanel, { section: 'nbtools-versions' });
        await model.refresh();
        if (model.selected?.number !== args.number) {
          await model.select(args.number);
        }
      }
    });

    const section = createSection({
      className: 'jp-nbtools-VersionsSection',
      content: new VersionsView(model, trans),
      refresh: { tooltip: trans.__('Reload the versions'), onClick: () => void model.refresh() }
    });
    section.toolbar.insertItem(
      0,
      'save-version',
      new CommandToolbarButton({
        commands: app.commands,
        id: CommandIDs.saveVersion,
        label: trans.__('Save version…')
      })
    );
    panel.addSection({
      id: 'nbtools-versions',
      label: trans.__('Versions'),
      rank: 10,
      widget: section
    });

    const onSaved = (_: unknown, state: DocumentRegistry.SaveState): void => {
      if (state === 'completed') {
        void model.refresh();
      }
    };
    model.stateChanged.connect(() => app.commands.notifyCommandChanged(CommandIDs.saveVersion));
    panel.followNotebook((notebook, path) => {
      const actions: INotebookActions | null = notebook && {
        save: () => notebook.context.save(),
        revert: () => notebook.context.revert(),
        open: async copy => {
          await app.commands.execute('docmanager:open', { path: copy });
        }
      };
      model.setNotebook(path, actions);
      app.commands.notifyCommandChanged(CommandIDs.saveVersion);
      if (!notebook) {
        return;
      }
      notebook.context.saveState.connect(onSaved);
      return new DisposableDelegate(() => notebook.context.saveState.disconnect(onSaved));
    });
  }
};

/**
 * Resolve once the Versions section follows `path` (after it became the
 * active notebook), or after a few seconds.
 */
function untilFollowing(model: VersionsModel, path: string): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      model.stateChanged.disconnect(check);
      window.clearTimeout(timer);
      resolve();
    };
    const check = (): void => {
      if (model.path === path) {
        done();
      }
    };
    const timer = window.setTimeout(done, 5000);
    model.stateChanged.connect(check);
    check();
  });
}

export default versionsPlugin;
