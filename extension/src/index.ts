import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import environmentPlugin from './plugins/environment';
import panelPlugin from './plugins/panel';

const plugins: JupyterFrontEndPlugin<unknown>[] = [panelPlugin, environmentPlugin];

export default plugins;
