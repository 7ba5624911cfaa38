import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import activityPlugin from './plugins/activity';
import auditPlugin from './plugins/audit';
import cellRolesPlugin from './plugins/cellRoles';
import dataPlugin from './plugins/data';
import environmentPlugin from './plugins/environment';
import jobFormPlugin from './plugins/jobForm';
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
  jobFormPlugin,
  jobsDashboardPlugin,
  versionsPlugin,
  monitoringPlugin,
  dataPlugin,
  auditPlugin,
  activityPlugin
];

export default plugins;
