import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { JobsView } from '../components/jobs';
import { JobsModel } from '../components/jobsModel';
import { createSection } from '../components/section';
import { CommandIDs, IProductionPanel } from '../tokens';

const SECTION_ID = 'nbtools-jobs';

/**
 * The Jobs section of the Production panel (parametrized runs, schedules and
 * run history of the active notebook) and the `nbtools:create-job` command.
 */
const jobsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:jobs',
  description: 'The Jobs section: run notebooks with parameters, on schedules, with history.',
  autoStart: true,
  requires: [IProductionPanel],
  optional: [ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    settings: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new JobsModel(path => void app.commands.execute('docmanager:open', { path }));
    const section = createSection({
      className: 'jp-nbtools-JobsSection',
      content: new JobsView(model, trans, app.commands),
      refresh: { tooltip: trans.__('Refresh jobs and runs'), onClick: () => void model.refresh() }
    });
    panel.addSection({ id: SECTION_ID, label: trans.__('Jobs'), rank: 20, widget: section });

    panel.followNotebook((_, path) => model.setPath(path));
    void settings?.load(jobsPlugin.id).then(jobSettings => {
      const apply = (): void => {
        model.pageSize = jobSettings.composite.runsPageSize as number;
      };
      apply();
      jobSettings.changed.connect(apply);
    });

    app.commands.addCommand(CommandIDs.createJob, {
      label: trans.__('Create Job…'),
      caption: trans.__('Run a notebook with parameters now or on a schedule'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: { type: 'string', description: trans.__('Notebook to run (default: active)') }
          }
        }
      },
      execute: async args => {
        await app.commands.execute(CommandIDs.openPanel, { section: SECTION_ID });
        const path = typeof args.path === 'string' ? args.path : null;
        await model.openForm(null, path);
      }
    });
  }
};

export default jobsPlugin;
