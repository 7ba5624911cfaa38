import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { NotebookPanel } from '@jupyterlab/notebook';

import { asError, deleteJob, getJob } from '../api';
import { JobPage } from '../components/jobPage';
import { confirmDelete } from '../components/jobPrompts';
import { JobsView } from '../components/jobs';
import { JobsModel } from '../components/jobsModel';
import { notifyFailure, notifySuccess } from '../components/notices';
import { outputCellIndex } from '../components/runOutput';
import { SectionCount, createSection } from '../components/section';
import { CommandIDs, JOBS_SECTION_ID } from '../tokens';
import { MainAreaTabs, jobIdArguments, jobIdOf, panelPlugin } from './pluginKit';

const SECTION_ID = JOBS_SECTION_ID;
const PLUGIN_ID = 'jupyterlab-nbtools:jobs';

/**
 * The Jobs section of the Production panel (parametrized runs, schedules and
 * run history of the active notebook) and the job page.
 */
const jobsPlugin = panelPlugin<[ISettingRegistry]>({
  id: PLUGIN_ID,
  description: 'The Jobs section: run notebooks with parameters, on schedules, with history.',
  optional: [ISettingRegistry],
  activate: ({ app, panel, trans, palette, category }, settings) => {
    const openAt = async (path: string, cell?: number): Promise<void> => {
      const widget: unknown = await app.commands.execute('docmanager:open', { path });
      if (cell !== undefined && widget instanceof NotebookPanel) {
        await widget.context.ready;
        await widget.revealed;
        const index = widget.model ? outputCellIndex(widget.model, cell) : null;
        if (index !== null) {
          widget.content.activeCellIndex = index;
          await widget.content.scrollToItem(index, 'center');
        }
      }
    };
    const model = new JobsModel(openAt, job => confirmDelete(job, trans));
    const count = new SectionCount();
    // No count until the jobs are loaded, nor when they could not be: "0" would be a claim.
    model.stateChanged.connect(() =>
      count.setCount(
        model.path === null || !model.loaded || model.error !== null ? null : model.jobs.length,
        trans._n('%1 job of this notebook', '%1 jobs of this notebook', model.jobs.length)
      )
    );
    const section = createSection({
      className: 'jp-nbtools-JobsSection',
      count,
      content: new JobsView(model, trans, app.commands),
      refresh: { tooltip: trans.__('Refresh jobs and runs'), onClick: () => void model.refresh() }
    });
    panel.addSection({ id: SECTION_ID, label: trans.__('Jobs'), rank: 20, widget: section });

    panel.followNotebook((_, path) => model.setPath(path));

    const pages = new MainAreaTabs<JobPage>(app.shell, 'nbtools-job');
    app.commands.addCommand(CommandIDs.openJob, {
      label: trans.__('Open Job Page'),
      describedBy: jobIdArguments(trans),
      execute: async args => {
        const id = jobIdOf(args, CommandIDs.openJob);
        await pages.open(String(id), async () => {
          const job = await getJob(id);
          const content = new JobPage(
            id,
            {
              openOutput: run => model.openOutput(run),
              edit: async shown => {
                await app.commands.execute(CommandIDs.editJob, { id: shown.id });
              },
              remove: async shown => {
                if (await confirmDelete(shown, trans)) {
                  await deleteJob(shown.id);
                  notifySuccess(trans.__('Job "%1" is deleted.', shown.name));
                  pages.close(String(shown.id));
                  void model.refresh();
                }
              }
            },
            trans
          );
          return { content, label: trans.__('Job: %1', job.name) };
        });
      }
    });
    void settings?.load(PLUGIN_ID).then(jobSettings => {
      const apply = (): void => {
        model.pageSize = jobSettings.composite.runsPageSize as number;
      };
      apply();
      jobSettings.changed.connect(apply);
    });

    app.commands.addCommand(CommandIDs.runNow, {
      label: trans.__('Run Notebook Now'),
      caption: trans.__(
        'Run the active notebook once with its default parameters (unsaved changes are saved first)'
      ),
      isEnabled: () => panel.notebookPath !== null,
      execute: async () => {
        const path = panel.notebookPath;
        if (path === null) {
          return;
        }
        try {
          if (panel.notebook?.context.model.dirty) {
            await panel.notebook.context.save();
          }
          const run = await model.runOnce(path);
          notifySuccess(trans.__('Run %1 of %2 is queued.', run.id, path), [
            {
              label: trans.__('Show runs'),
              callback: () =>
                void app.commands.execute(CommandIDs.openPanel, { section: SECTION_ID })
            }
          ]);
        } catch (reason) {
          notifyFailure(trans.__('Could not run %1: %2', path, asError(reason).message));
        }
      }
    });
    panel.notebookPathChanged.connect(() => app.commands.notifyCommandChanged(CommandIDs.runNow));

    palette?.addItem({ command: CommandIDs.runNow, category });
  }
});

export default jobsPlugin;
