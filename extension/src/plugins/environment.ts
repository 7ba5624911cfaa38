import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { ISessionContext } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { PanelWithToolbar, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';

import { EnvironmentModel, EnvironmentView } from '../components/environment';
import { IProductionPanel } from '../tokens';

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
 * kernel environment, its drift from a chosen snapshot, and exports.
 */
const environmentPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:environment',
  description: "The Environment section: the kernel's environment snapshot, drift and exports.",
  autoStart: true,
  requires: [IProductionPanel],
  optional: [INotebookTracker, ITranslator],
  activate: (
    _app: JupyterFrontEnd,
    panel: IProductionPanel,
    tracker: INotebookTracker | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new EnvironmentModel();
    const section = new PanelWithToolbar();
    section.addClass('jp-nbtools-EnvironmentSection');
    section.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Snapshot the environment again'),
        onClick: () => void model.refresh()
      })
    );
    section.addWidget(new EnvironmentView(model, trans));
    panel.addSection({
      id: 'nbtools-environment',
      label: trans.__('Environment'),
      rank: 30,
      widget: section
    });

    let context: ISessionContext | null = null;
    const onKernel = (): void => model.setKernel(kernelName(context));
    const follow = (): void => {
      context?.kernelChanged.disconnect(onKernel);
      const notebook = tracker?.find(widget => widget.context.path === panel.notebookPath);
      context = notebook?.sessionContext ?? null;
      context?.kernelChanged.connect(onKernel);
      void context?.ready.then(onKernel);
      onKernel();
    };
    panel.notebookPathChanged.connect(follow);
    follow();
  }
};

export default environmentPlugin;
