import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import environmentPlugin from './plugins/environment';
import jobsPlugin from './plugins/jobs';
import panelPlugin from './plugins/panel';
import productionizePlugin from './plugins/productionize';
import versionsPlugin from './plugins/versions';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  panelPlugin,
  productionizePlugin,
  environmentPlugin,
  jobsPlugin,
  versionsPlugin
];

export default plugins;
