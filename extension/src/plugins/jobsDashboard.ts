import { ILayoutRestorer } from '@jupyterlab/application';
import { InputDialog, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';

import { JobsDashboard } from '../components/jobsDashboard';
import { productionIcon } from '../icons';
import { CommandIDs } from '../tokens';
import { panelPlugin } from './pluginKit';

/**
 * The jobs dashboard: every job of the project in a main-area tab, opened
 * from the Jobs section, the command palette and the launcher (and restored
 * with the layout).
 */
const jobsDashboardPlugin = panelPlugin<[ILauncher, ILayoutRestorer]>({
  id: 'jupyterlab-nbtools:jobs-dashboard',
  description: 'The jobs dashboard: every job of the project, sortable, filterable, in bulk.',
  optional: [ILauncher, ILayoutRestorer],
  activate: ({ app, panel, trans, palette, category }, launcher, restorer) => {
    const tracker = new WidgetTracker<MainAreaWidget<JobsDashboard>>({
      namespace: 'nbtools-jobs-dashboard'
    });

    /** Create a job of the active notebook, or of a notebook the user names. */
    const createJob = async (): Promise<void> => {
      let path = panel.notebookPath;
      if (path === null) {
        const answer = await InputDialog.getText({
          title: trans.__('Create Job'),
          label: trans.__('Notebook to run (path from the root)'),
          placeholder: 'analysis/report.ipynb'
        });
        if (!answer.button.accept || !answer.value) {
          return;
        }
        path = answer.value;
      }
      await app.commands.execute(CommandIDs.createJob, { path });
    };

    app.commands.addCommand(CommandIDs.openJobsDashboard, {
      label: args => (args.isLauncher ? trans.__('Jobs') : trans.__('Open Jobs Dashboard')),
      caption: trans.__('Every job of the project: schedules, last runs, alerts'),
      icon: args => (args.isPalette ? undefined : productionIcon),
      execute: async () => {
        let widget = tracker.currentWidget;
        if (!widget || widget.isDisposed) {
          const content = new JobsDashboard(
            {
              openJob: id => void app.commands.execute(CommandIDs.openJob, { id }),
              createJob: () => void createJob()
            },
            trans
          );
          widget = new MainAreaWidget({ content });
          widget.id = 'nbtools-jobs-dashboard';
          widget.title.label = trans.__('Jobs');
          widget.title.icon = productionIcon;
          widget.title.closable = true;
          app.shell.add(widget, 'main');
          await tracker.add(widget);
        }
        app.shell.activateById(widget.id);
      }
    });

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openJobsDashboard,
        name: () => 'jobs-dashboard'
      });
    }
    palette?.addItem({ command: CommandIDs.openJobsDashboard, category });
    launcher?.add({ command: CommandIDs.openJobsDashboard, category, rank: 1 });
  }
});

export default jobsDashboardPlugin;
