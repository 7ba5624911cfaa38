import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { asError, getJob } from '../api';
import type { Job } from '../api';
import { JobFormWidget } from '../components/jobFormWidget';
import { loadJobForm } from '../components/jobFormModel';
import type { JobFormResult } from '../components/jobFormModel';
import { notifyFailure, notifySuccess } from '../components/notices';
import { savedFirst } from '../components/savePrompt';
import { CommandIDs, JOBS_SECTION_ID } from '../tokens';
import { MainAreaTabs, jobIdArguments, jobIdOf, panelPlugin } from './pluginKit';

/**
 * The create/edit job form in the main area: the `nbtools:create-job` and
 * `nbtools:edit-job` commands (the Jobs section's Create job and Edit
 * buttons, the palette). One tab per job edited and per notebook a new job
 * is made for; opening it again activates that tab.
 */
const jobFormPlugin = panelPlugin<[INotebookTracker]>({
  id: 'jupyterlab-nbtools:job-form',
  description: 'The Create job / Edit job form in the main area.',
  optional: [INotebookTracker],
  activate: ({ app, panel, trans, palette, category }, notebooks) => {
    const tabs = new MainAreaTabs<JobFormWidget>(app.shell, 'nbtools-job-form');

    /**
     * A run executes the notebook's saved file (a job pinned to a version, that version):
     * when the notebook is open with unsaved changes, ask to save them first.
     */
    const beforeRun = async (job: Job | null, path: string): Promise<boolean> => {
      const notebook = notebooks?.find(open => open.context.path === path);
      if (!notebook || job?.pinned_version_id != null) {
        return true;
      }
      return savedFirst(
        notebook,
        trans.__('The run executes the saved notebook: save it to run what you see.'),
        trans.__('Save and run'),
        trans
      );
    };

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

    const open = (job: Job | null, path: string): Promise<void> => {
      const key = job ? `job-${job.id}` : `new-${path}`;
      // Where the focus was (the Edit or Create job button pressed): Escape returns it there.
      const opener = document.activeElement;
      return tabs.open(key, async () => {
        let form;
        try {
          form = await loadJobForm(job, path);
        } catch (reason) {
          notifyFailure(trans.__('Could not open the job form: %1', asError(reason).message));
          return null;
        }
        const close = (): void => tabs.close(key);
        const content = new JobFormWidget(
          form,
          trans,
          result => {
            close();
            saved(result, path);
          },
          close,
          () => tabs.close(key, opener),
          () => beforeRun(job, path)
        );
        const label = job
          ? trans.__('Edit job: %1', job.name)
          : trans.__('New job: %1', PathExt.basename(path));
        return { content, label };
      });
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
      describedBy: jobIdArguments(trans),
      execute: async args => {
        const id = jobIdOf(args, CommandIDs.editJob);
        try {
          const job = await getJob(id);
          await open(job, job.notebook_path);
        } catch (reason) {
          notifyFailure(trans.__('Could not open the job form: %1', asError(reason).message));
        }
      }
    });

    palette?.addItem({ command: CommandIDs.createJob, category });
  }
});

export default jobFormPlugin;
