import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { asError, getJob } from '../api';
import type { Job } from '../api';
import { JobFormWidget } from '../components/jobFormWidget';
import { loadJobForm } from '../components/jobFormModel';
import type { JobFormResult } from '../components/jobFormModel';
import { notifyFailure, notifySuccess } from '../components/notices';
import { productionIcon } from '../icons';
import { CommandIDs, IProductionPanel, JOBS_SECTION_ID } from '../tokens';

/**
 * The create/edit job form in the main area: the `nbtools:create-job` and
 * `nbtools:edit-job` commands (the Jobs section's Create job and Edit
 * buttons, the palette). One tab per job edited and per notebook a new job
 * is made for; opening it again activates that tab.
 */
const jobFormPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:job-form',
  description: 'The Create job / Edit job form in the main area.',
  autoStart: true,
  requires: [IProductionPanel],
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    panel: IProductionPanel,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const tabs = new Map<string, MainAreaWidget<JobFormWidget>>();

    const saved = (result: JobFormResult, path: string): void => {
      if ('job' in result) {
        const { job } = result;
        notifySuccess(trans.__('Job "%1" is saved.', job.name), [
          {
            label: trans.__('Open job page'),
            callback: () => void app.commands.execute(CommandIDs.openJob, { id: job.id })
          }
        ]);
      } else {
        notifySuccess(trans.__('Run %1 of %2 is queued.', result.runId, path), [
          {
            label: trans.__('Show runs'),
            callback: () =>
              void app.commands.execute(CommandIDs.openPanel, {
                section: JOBS_SECTION_ID
              })
          }
        ]);
      }
    };

    const open = async (job: Job | null, path: string): Promise<void> => {
      const key = job ? `job-${job.id}` : `new-${path}`;
      let tab = tabs.get(key);
      if (!tab) {
        let form;
        try {
          form = await loadJobForm(job, path);
        } catch (reason) {
          notifyFailure(trans.__('Could not open the job form: %1', asError(reason).message));
          return;
        }
        const close = (): void => tabs.get(key)?.dispose();
        const content = new JobFormWidget(
          form,
          trans,
          result => {
            close();
            saved(result, path);
          },
          close
        );
        tab = new MainAreaWidget({ content });
        tab.id = `nbtools-job-form-${tabs.size}-${Date.now()}`;
        tab.title.label = job
          ? trans.__('Edit job: %1', job.name)
          : trans.__('New job: %1', PathExt.basename(path));
        tab.title.icon = productionIcon;
        tab.title.closable = true;
        tabs.set(key, tab);
        tab.disposed.connect(() => tabs.delete(key));
        app.shell.add(tab, 'main');
      }
      app.shell.activateById(tab.id);
    };

    app.commands.addCommand(CommandIDs.createJob, {
      label: trans.__('Create Job…'),
      caption: trans.__('Run a notebook with parameters now or on a schedule'),
      isEnabled: args => typeof args.path === 'string' || panel.notebookPath !== null,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: { type: 'string', description: trans.__('Notebook to run (default: active)') }
          }
        }
      },
      execute: async args => {
        const path = typeof args.path === 'string' ? args.path : panel.notebookPath;
        if (path !== null) {
          await open(null, path);
        }
      }
    });
    panel.notebookPathChanged.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.createJob)
    );

    app.commands.addCommand(CommandIDs.editJob, {
      label: trans.__('Edit Job…'),
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'number', description: trans.__('The job id') } },
          required: ['id']
        }
      },
      execute: async args => {
        if (typeof args.id !== 'number') {
          throw new Error(`${CommandIDs.editJob} needs "id".`);
        }
        try {
          const job = await getJob(args.id);
          await open(job, job.notebook_path);
        } catch (reason) {
          notifyFailure(trans.__('Could not open the job form: %1', asError(reason).message));
        }
      }
    });

    palette?.addItem({ command: CommandIDs.createJob, category: trans.__('Notebook Production') });
  }
};

export default jobFormPlugin;
