import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { Notification } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import type { TranslationBundle } from '@jupyterlab/translation';

import { asError, getJob, openRunOutput } from '../api';
import type { Alert, Run } from '../api';
import { ActivityWatcher } from '../components/activityWatcher';
import { notifyFailure, notifyNews } from '../components/notices';
import { CommandIDs } from '../tokens';
import { bundleOf } from './pluginKit';

/**
 * What a run is "of" in its notifications, as when it was queued: its job's name (read when
 * the run ends: a renamed job shows its new name), else its notebook's path.
 */
async function runOf(run: Run): Promise<string> {
  if (run.job_id === null) {
    return run.notebook_path;
  }
  try {
    return (await getJob(run.job_id)).name;
  } catch {
    return run.notebook_path; // the job is gone: its notebook still tells the run
  }
}

/** The notification of a run that ended, with a link to its output notebook. */
async function notifyRun(app: JupyterFrontEnd, run: Run, trans: TranslationBundle): Promise<void> {
  const name = await runOf(run);
  const actions: Notification.IAction[] = [];
  if (run.output_notebook) {
    actions.push({
      label: trans.__('Open output'),
      callback: () =>
        void openRunOutput(run.id)
          .then(({ path }) => app.commands.execute('docmanager:open', { path }))
          .catch(reason => notifyFailure(asError(reason).message))
    });
  }
  switch (run.status) {
    case 'succeeded':
      notifyNews('success', trans.__('Run %1 of %2 succeeded.', run.id, name), actions);
      break;
    case 'cancelled':
      notifyNews('info', trans.__('Run %1 of %2 was cancelled.', run.id, name), actions);
      break;
    case 'timed_out':
      notifyNews('error', trans.__('Run %1 of %2 timed out.', run.id, name), actions);
      break;
    default:
      notifyNews(
        'error',
        run.error
          ? trans.__('Run %1 of %2 failed: %3', run.id, name, run.error.name)
          : trans.__('Run %1 of %2 failed.', run.id, name),
        actions
      );
  }
}

/** The notification of a new alert, with a link to the open alerts. */
function notifyAlert(app: JupyterFrontEnd, alert: Alert, trans: TranslationBundle): void {
  notifyNews('warning', trans.__('Alert: %1', alert.message), [
    {
      label: trans.__('Show alerts'),
      callback: () => void app.commands.execute(CommandIDs.openPanel, { section: 'nbtools-alerts' })
    }
  ]);
}

/**
 * Activity notifications: while JupyterLab is open, each run that ends and
 * each alert that opens goes to JupyterLab's notification centre.
 */
const activityPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:activity',
  description: 'Notifications of runs that end and alerts that open.',
  autoStart: true,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null): void => {
    const trans = bundleOf(translator);
    // One notification after the other, in the order the watcher reports them (runs in the
    // order they ended, then the alerts they raised), though a run's waits for its job's name.
    let told = Promise.resolve();
    const tell = (notify: () => Promise<void> | void): void => {
      told = told.then(notify).catch(() => undefined);
    };
    new ActivityWatcher(
      run => tell(() => notifyRun(app, run, trans)),
      alert => tell(() => notifyAlert(app, alert, trans))
    );
  }
};

export default activityPlugin;
