import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { AlertsView } from '../components/alerts';
import { AlertsModel } from '../components/alertsModel';
import { SectionCount, createSection } from '../components/section';
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
    const count = new SectionCount();
    model.stateChanged.connect(() => {
      const state = model.state;
      const open = state.kind === 'ready' ? state.alerts.length : null;
      count.setCount(open, trans._n('%1 open alert', '%1 open alerts', open ?? 0));
    });
    // Loaded once at start (the section polls while expanded): the header shows the count.
    void model.refresh();
    const section = createSection({
      className: 'jp-nbtools-AlertsSection',
      count,
      content: new AlertsView(model, trans),
      refresh: { tooltip: trans.__('Refresh alerts'), onClick: () => void model.refresh() }
    });
    panel.addSection({
      id: 'nbtools-alerts',
      label: trans.__('Alerts'),
      rank: 40,
      widget: section
    });
  }
};

export default monitoringPlugin;
