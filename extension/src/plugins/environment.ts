import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import type { ISessionContext } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { DisposableDelegate } from '@lumino/disposable';

import { openRunOutput } from '../api';
import { EnvironmentView } from '../components/environment';
import { EnvironmentModel } from '../components/environmentModel';
import { createSection } from '../components/section';
import { CommandIDs, IProductionPanel } from '../tokens';

/**
 * The kernel a notebook runs (or will run, before its session starts).
 */
function kernelName(context: ISessionContext | null): string | null {
  if (context === null) {
    return null;
  }
  return context.session?.kernel?.name ?? context.kernelPreference.name ?? null;
}

/**
 * The Environment section of the Production panel: the active notebook's
 * kernel environment, its drift from the notebook's last successful run (or a
 * chosen snapshot), and exports.
 */
const environmentPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:environment',
  description: "The Environment section: the kernel's environment snapshot, drift and exports.",
  autoStart: true,
  requires: [IProductionPanel],
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new EnvironmentModel();
    model.commands = app.commands;
    model.openRun = runId =>
      void openRunOutput(runId).then(({ path }) =>
        app.commands.execute('docmanager:open', { path })
      );
    app.commands.addCommand(CommandIDs.showSnapshot, {
      label: trans.__('Compare the Environment with a Snapshot'),
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'string', description: trans.__('A snapshot id') } },
          required: ['id']
        }
      },
      execute: async args => {
        if (typeof args.id !== 'string') {
          throw new Error(`${CommandIDs.showSnapshot} needs the snapshot id as "id".`);
        }
        await app.commands.execute(CommandIDs.openPanel, { section: 'nbtools-environment' });
        await model.show(args.id);
      }
    });
    app.commands.addCommand(CommandIDs.snapshotEnvironment, {
      label: trans.__('Snapshot Environment'),
      caption: trans.__("Snapshot the notebook kernel's environment and show its drift"),
      isEnabled: () => panel.notebookPath !== null,
      execute: async () => {
        await app.commands.execute(CommandIDs.openPanel, { section: 'nbtools-environment' });
        await model.refresh();
      }
    });
    panel.notebookPathChanged.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.snapshotEnvironment)
    );
    if (palette) {
      palette.addItem({
        command: CommandIDs.snapshotEnvironment,
        category: trans.__('Notebook Production')
      });
    }

    const section = createSection({
      className: 'jp-nbtools-EnvironmentSection',
      content: new EnvironmentView(model, trans),
      refresh: {
        tooltip: trans.__('Snapshot the environment again'),
        onClick: () => void model.refresh()
      }
    });
    panel.addSection({
      id: 'nbtools-environment',
      label: trans.__('Environment'),
      rank: 30,
      widget: section
    });

    panel.followNotebook((notebook, path) => {
      model.setNotebook(path);
      const context = notebook?.sessionContext ?? null;
      let following = true;
      const onKernel = (): void => {
        if (following) {
          model.setKernel(kernelName(context));
        }
      };
      onKernel();
      context?.kernelChanged.connect(onKernel);
      void context?.ready.then(onKernel);
      return new DisposableDelegate(() => {
        following = false;
        context?.kernelChanged.disconnect(onKernel);
      });
    });
  }
};

export default environmentPlugin;
