import type { ISessionContext } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { DisposableDelegate } from '@lumino/disposable';

import { openRunOutput } from '../api';
import { EnvironmentView } from '../components/environment';
import { EnvironmentModel } from '../components/environmentModel';
import { confirmRecreate } from '../components/environmentPrompts';
import { withProgress } from '../components/notices';
import { createSection } from '../components/section';
import { CommandIDs } from '../tokens';
import { panelPlugin } from './pluginKit';

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
const environmentPlugin = panelPlugin({
  id: 'jupyterlab-nbtools:environment',
  description: "The Environment section: the kernel's environment snapshot, drift and exports.",
  activate: ({ app, panel, trans, palette, category }) => {
    const model = new EnvironmentModel();
    model.commands = app.commands;
    // The active notebook's session: a command run while its kernel still starts waits for it.
    let session: ISessionContext | null = null;
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
        if (session !== null) {
          await session.ready;
          model.setKernel(kernelName(session));
        }
        const kernel = model.kernel;
        await withProgress(
          model.refresh().then(state => {
            if (state.kind === 'failed') {
              throw state.error;
            }
            if (state.kind !== 'ready') {
              throw new Error(trans.__('The notebook has no kernel to snapshot.'));
            }
            return state;
          }),
          {
            pending: trans.__('Snapshotting the environment of kernel %1…', kernel ?? ''),
            success: ({ current, diff }) =>
              trans.__(
                'Snapshot %1 of kernel %2: %3 packages. %4',
                current.short_id,
                current.origin,
                current.distributions.length,
                diff === null ? '' : diff.empty ? trans.__('No drift.') : diff.summary
              ),
            failure: trans.__('Could not snapshot the environment')
          },
          trans
        );
      }
    });
    app.commands.addCommand(CommandIDs.recreateEnvironment, {
      label: trans.__('Recreate Environment…'),
      caption: trans.__(
        'Recreate the snapshot the Environment section compares with (else the kernel’s) in a new virtual environment'
      ),
      isEnabled: () => panel.notebookPath !== null,
      execute: async () => {
        if (model.recreateTarget === null) {
          await app.commands.execute(CommandIDs.openPanel, { section: 'nbtools-environment' });
          await model.refresh();
        }
        const snapshot = model.recreateTarget;
        if (snapshot === null) {
          return;
        }
        const suggested = PathExt.join(model.folder, `venv-${snapshot.short_id}`);
        const path = await confirmRecreate(snapshot, suggested, trans);
        if (path === null) {
          return;
        }
        const folder = PathExt.basename(path);
        await withProgress(
          model.recreate(snapshot.id, path),
          {
            pending: trans.__(
              'Recreating snapshot %1 in %2 (this can take minutes)…',
              snapshot.short_id,
              folder
            ),
            success: report =>
              report.mismatches.length === 0
                ? trans.__(
                    'Recreated snapshot %1 in %2: %3 packages installed, verified.',
                    snapshot.short_id,
                    folder,
                    report.installed
                  )
                : trans.__(
                    'Recreated snapshot %1 in %2 with %3 differences: %4',
                    snapshot.short_id,
                    folder,
                    report.mismatches.length,
                    report.mismatches.join('; ')
                  ),
            failure: trans.__('Could not recreate snapshot %1', snapshot.short_id)
          },
          trans
        );
      }
    });
    panel.notebookPathChanged.connect(() => {
      app.commands.notifyCommandChanged(CommandIDs.snapshotEnvironment);
      app.commands.notifyCommandChanged(CommandIDs.recreateEnvironment);
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.snapshotEnvironment, category });
      palette.addItem({ command: CommandIDs.recreateEnvironment, category });
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
      session = context;
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
});

export default environmentPlugin;
