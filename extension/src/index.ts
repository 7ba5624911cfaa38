import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import environmentPlugin from './plugins/environment';
import monitoringPlugin from './plugins/monitoring';
import panelPlugin from './plugins/panel';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  panelPlugin,
  environmentPlugin,
  monitoringPlugin
];

export default plugins;
