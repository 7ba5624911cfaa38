import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import environmentPlugin from './plugins/environment';
import jobsPlugin from './plugins/jobs';
import panelPlugin from './plugins/panel';
import productionizePlugin from './plugins/productionize';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  panelPlugin,
  productionizePlugin,
  environmentPlugin,
  jobsPlugin
];

export default plugins;
