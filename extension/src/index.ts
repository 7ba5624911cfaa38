import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import environmentPlugin from './plugins/environment';
import panelPlugin from './plugins/panel';
import versionsPlugin from './plugins/versions';

const plugins: JupyterFrontEndPlugin<unknown>[] = [panelPlugin, environmentPlugin, versionsPlugin];

export default plugins;
