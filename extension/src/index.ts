import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import activityPlugin from './plugins/activity';
import cellRolesPlugin from './plugins/cellRoles';
import environmentPlugin from './plugins/environment';
import jobsPlugin from './plugins/jobs';
import jobsDashboardPlugin from './plugins/jobsDashboard';
import monitoringPlugin from './plugins/monitoring';
import panelPlugin from './plugins/panel';
import productionizePlugin from './plugins/productionize';
import versionsPlugin from './plugins/versions';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  panelPlugin,
  productionizePlugin,
  cellRolesPlugin,
  environmentPlugin,
  jobsPlugin,
  jobsDashboardPlugin,
  versionsPlugin,
  monitoringPlugin,
  activityPlugin
];

export default plugins;
