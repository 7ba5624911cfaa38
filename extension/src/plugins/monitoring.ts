import { AlertsView } from '../components/alerts';
import { AlertsModel } from '../components/alertsModel';
import { SectionCount, createSection } from '../components/section';
import { panelPlugin } from './pluginKit';

/**
 * Monitoring: the Alerts section of the Production panel (open alerts of all
 * jobs, acknowledged with one click).
 */
const monitoringPlugin = panelPlugin({
  id: 'jupyterlab-nbtools:monitoring',
  description: 'Alerts raised by the rules of production jobs.',
  activate: ({ panel, trans }) => {
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
});

export default monitoringPlugin;
