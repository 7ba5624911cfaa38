import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { PanelWithToolbar, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';

import { AlertsModel, AlertsView } from '../components/alerts';
import { IProductionPanel } from '../tokens';

/**
 * Monitoring: the Alerts section of the Production panel (open alerts of all
 * jobs, acknowledged with one click).
 */
const monitoringPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:monitoring',
  description: 'Alerts raised by the rules of production jobs.',
  autoStart: true,
  requires: [IProductionPanel],
  optional: [ITranslator],
  activate: (
    _app: JupyterFrontEnd,
    panel: IProductionPanel,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    const model = new AlertsModel();
    const section = new PanelWithToolbar();
    section.id = 'nbtools-alerts';
    section.addClass('jp-nbtools-AlertsSection');
    section.title.label = trans.__('Alerts');
    section.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh alerts'),
        onClick: () => void model.refresh()
      })
    );
    section.addWidget(new AlertsView(model, trans));
    panel.addSection({ id: section.id, label: trans.__('Alerts'), rank: 40, widget: section });
  }
};

export default monitoringPlugin;
