import {
  Dialog,
  InputDialog,
  MainAreaWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { TranslationBundle } from '@jupyterlab/translation';
import { CommandToolbarButton } from '@jupyterlab/ui-components';
import { DisposableDelegate } from '@lumino/disposable';

import { SectionCount, createSection } from '../components/section';
import { formatTime } from '../components/dates';
import { asError, listVersions, openRunOutput } from '../api';
import type { NotebookContent, Version, VersionReference } from '../api';
import { DiffPage } from '../components/diffPage';
import { notifyFailure, notifyNews } from '../components/notices';
import type { IDiffRequest } from '../components/diffPage';
import { productionIcon } from '../icons';
import { VersionsView } from '../components/versions';
import { VersionsModel } from '../components/versionsModel';
import type { INotebookActions } from '../components/versionsModel';
import { CommandIDs } from '../tokens';
import { panelPlugin } from './pluginKit';

/**
 * The Versions section of the Production panel: the active notebook's
 * history of saves, diffs between versions, restore and open-as-copy.
 */
const versionsPlugin = panelPlugin({
  id: 'jupyterlab-nbtools:versions',
  description: "The Versions section: the notebook's history, diffs, restore.",
  activate: ({ app, panel, trans, palette, category }) => {
    const model = new VersionsModel(trans);

    app.commands.addCommand(CommandIDs.saveVersion, {
      label: trans.__('Save Version…'),
      caption: trans.__('Save the notebook and record it as a named version'),
      // Not disabled while another action runs: a disabled button loses the keyboard focus,
      // and the section's button is where the focus comes back to when the dialog closes.
      isEnabled: () => panel.notebookPath !== null,
      execute: async () => {
        if (model.busy) {
          notifyNews('info', trans.__('Wait for the current version action to end.'));
          return;
        }
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

    const readDisk = async (path: string): Promise<NotebookContent> =>
      (await app.serviceManager.contents.get(path, { type: 'notebook', content: true }))
        .content as NotebookContent;
    const diffPages = new Map<string, MainAreaWidget<DiffPage>>();
    let opened = 0;
    const openDiff = (request: IDiffRequest): void => {
      const key = JSON.stringify([request.path, request.a, request.b]);
      let page = diffPages.get(key);
      if (!page) {
        page = new MainAreaWidget({ content: new DiffPage(request, readDisk, trans) });
        page.id = `nbtools-diff-page-${++opened}`;
        page.title.label = trans.__('Diff: %1 (%2 → %3)', request.path, request.a, request.b);
        page.title.icon = productionIcon;
        page.title.closable = true;
        diffPages.set(key, page);
        page.disposed.connect(() => diffPages.delete(key));
        app.shell.add(page, 'main');
      }
      app.shell.activateById(page.id);
    };

    app.commands.addCommand(CommandIDs.openVersionDiff, {
      label: trans.__('Open a Version Diff'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: { type: 'string', description: trans.__('The notebook') },
            a: {
              type: 'string',
              description: trans.__('The older side: a version number or disk')
            },
            b: { type: 'string', description: trans.__('The newer side: a version number or disk') }
          },
          required: ['path', 'a', 'b']
        }
      },
      execute: args => {
        const { path, a, b } = args;
        if (typeof path !== 'string' || typeof a !== 'string' || typeof b !== 'string') {
          throw new Error(`${CommandIDs.openVersionDiff} needs "path", "a" and "b".`);
        }
        openDiff({ path, a, b });
      }
    });

    app.commands.addCommand(CommandIDs.comparePreviousVersion, {
      label: trans.__('Compare with Previous Version'),
      caption: trans.__(
        "Open the notebook's newest version compared with the one before, in a tab"
      ),
      isEnabled: () => panel.notebookPath !== null,
      execute: async () => {
        const path = panel.notebookPath;
        if (path === null) {
          return;
        }
        const [newest, previous] = (await listVersions(path)).versions;
        if (previous === undefined) {
          notifyNews(
            'info',
            newest === undefined
              ? trans.__('%1 has no versions yet: every save records one.', path)
              : trans.__('%1 has one version only: nothing to compare it with.', path)
          );
          return;
        }
        openDiff({ path, a: String(previous.number), b: String(newest.number) });
      }
    });

    app.commands.addCommand(CommandIDs.revertToVersion, {
      label: trans.__('Revert Notebook to Version…'),
      caption: trans.__('Put one of the versions of the notebook back, chosen by its number'),
      isEnabled: () => panel.notebookPath !== null && !model.busy,
      execute: async () => {
        await model.refresh();
        const state = model.history;
        const versions = state.kind === 'ready' ? state.history.versions : [];
        if (versions.length === 0) {
          await showErrorMessage(
            trans.__('No versions'),
            trans.__('This notebook has no versions yet: save it to record one.')
          );
          return;
        }
        const items = versions.map(version => versionLabel(version, trans));
        const answer = await InputDialog.getItem({
          title: trans.__('Revert to a version'),
          label: trans.__('Version of %1', panel.notebookPath ?? ''),
          items
        });
        const version = versions[items.indexOf(answer.value ?? '')];
        if (!answer.button.accept || version === undefined) {
          return;
        }
        const confirm = await showDialog({
          title: trans.__('Revert to version %1?', version.number),
          body: trans.__(
            'The notebook gets the content of version %1. Its current state is saved as a version first, so nothing is lost.',
            version.number
          ),
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Revert') })]
        });
        if (confirm.button.accept) {
          await model.restore(version);
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
          model.select(args.number);
        }
      }
    });

    if (palette) {
      palette.addItem({ command: CommandIDs.saveVersion, category });
      palette.addItem({ command: CommandIDs.comparePreviousVersion, category });
    }

    /** What uses a version: a run's output notebook, a job's page, a package's folder. */
    const openReference = async (reference: VersionReference): Promise<void> => {
      try {
        if (reference.kind === 'run') {
          const { path } = await openRunOutput(Number(reference.ref));
          await app.commands.execute('docmanager:open', { path });
        } else if (reference.kind === 'job') {
          await app.commands.execute(CommandIDs.openJob, { id: Number(reference.ref) });
        } else {
          await app.commands.execute('filebrowser:go-to-path', { path: reference.ref });
        }
      } catch (reason) {
        notifyFailure(asError(reason).message);
      }
    };

    const count = new SectionCount();
    model.stateChanged.connect(() => {
      const history = model.history;
      const versions = history.kind === 'ready' ? history.history.versions.length : null;
      count.setCount(versions, trans._n('%1 version', '%1 versions', versions ?? 0));
    });
    const section = createSection({
      className: 'jp-nbtools-VersionsSection',
      count,
      content: new VersionsView(model, trans, {
        diff: (a, b) => {
          if (model.path !== null) {
            openDiff({ path: model.path, a, b });
          }
        },
        reference: reference => void openReference(reference)
      }),
      refresh: { tooltip: trans.__('Reload the versions'), onClick: () => void model.refresh() }
    });
    section.toolbar.insertItem(
      1,
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
      rank: 5,
      widget: section
    });

    const onSaved = (_: unknown, state: DocumentRegistry.SaveState): void => {
      if (state === 'completed') {
        void model.saved();
      }
    };
    model.stateChanged.connect(() => {
      app.commands.notifyCommandChanged(CommandIDs.saveVersion);
      app.commands.notifyCommandChanged(CommandIDs.revertToVersion);
    });
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
});

/** A version as the Versions section names it: its number, when, and its message. */
function versionLabel(version: Version, trans: TranslationBundle): string {
  const when = formatTime(version.created_at);
  return version.message
    ? trans.__('Version %1 · %2 · %3', version.number, when, version.message)
    : trans.__('Version %1 · %2', version.number, when);
}

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
