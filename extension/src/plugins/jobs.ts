import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { NotebookPanel } from '@jupyterlab/notebook';

import { asError, getJob } from '../api';
import { productionIcon } from '../icons';
import { JobPage } from '../components/jobPage';
import { confirmDelete } from '../components/jobPrompts';
import { JobsView } from '../components/jobs';
import { JobsModel } from '../components/jobsModel';
import { notifyFailure, notifySuccess } from '../components/notices';
import { outputCellIndex } from '../components/runOutput';
import { SectionCount, createSection } from '../components/section';
import { CommandIDs, IProductionPanel, JOBS_SECTION_ID } from '../tokens';

const SECTION_ID = JOBS_SECTION_ID;

/**
 * The Jobs section of the Production panel (parametrized runs, schedules and
 * run history of the active notebook) and the job page.
 */
const jobsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:jobs',
  description: 'The Jobs section: run notebooks with parameters, on schedules, with history.',
  autoStart: true,
  requires: [IProductionPanel],
  optional: [ISettingRegistry, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    settings: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
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
    model.stateChanged.connect(() =>
      count.setCount(
        model.path === null ? null : model.jobs.length,
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

    const pages = new Map<number, MainAreaWidget<JobPage>>();
    app.commands.addCommand(CommandIDs.openJob, {
      label: trans.__('Open Job Page'),
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'number', description: trans.__('The job id') } },
          required: ['id']
        }
      },
      execute: async args => {
        const id = args.id;
        if (typeof id !== 'number') {
          throw new Error(`${CommandIDs.openJob} needs "id".`);
        }
        let page = pages.get(id);
        if (!page) {
          const job = await getJob(id);
          const content = new JobPage(id, { openOutput: run => model.openOutput(run) }, trans);
          page = new MainAreaWidget({ content });
          page.id = `nbtools-job-${id}`;
          page.title.label = trans.__('Job: %1', job.name);
          page.title.icon = productionIcon;
          page.title.closable = true;
          pages.set(id, page);
          page.disposed.connect(() => pages.delete(id));
          app.shell.add(page, 'main');
        }
        app.shell.activateById(page.id);
      }
    });
    void settings?.load(jobsPlugin.id).then(jobSettings => {
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

    if (palette) {
      const category = trans.__('Notebook Production');
      palette.addItem({ command: CommandIDs.runNow, category });
    }
  }
};

export default jobsPlugin;
