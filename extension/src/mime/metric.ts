/**
 * A MIME renderer for metric outputs of `nbtools.record()`: a compact card with
 * the metric's name, value and unit, in notebooks and executed run notebooks
 * alike. Registered through `jupyterlab.mimeExtension` in package.json.
 */

import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { formatValue, type IMetric, METRIC_MIME, readMetric, valueKind } from './metricPayload';

/** What the card says about the metric, for users and screen readers. */
export const METRIC_HINT = 'Recorded as a metric of scheduled runs of this notebook';

const CLASS = 'jp-nbtools-Metric';

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** The card of one metric: name, value (with unit) and the scheduler hint. */
function metricCard(metric: IMetric): HTMLElement {
  const card = element('div', `${CLASS}-card`);
  card.setAttribute('role', 'group');
  card.setAttribute('aria-label', `Metric ${metric.name}`);
  const list = element('dl', `${CLASS}-fields`);
  list.appendChild(element('dt', `${CLASS}-name`, metric.name));
  const kind = valueKind(metric.value);
  const value = element('dd', `${CLASS}-value ${CLASS}-value--${kind}`);
  value.appendChild(
    element(kind === 'json' ? 'code' : 'span', `${CLASS}-amount`, formatValue(metric.value))
  );
  if (metric.unit) {
    value.appendChild(document.createTextNode(' '));
    value.appendChild(element('span', `${CLASS}-unit`, metric.unit));
  }
  if (kind === 'number') {
    value.title = String(metric.value);
  }
  list.appendChild(value);
  card.appendChild(list);
  card.appendChild(element('p', `${CLASS}-hint`, METRIC_HINT));
  return card;
}

/** What shows for a payload of an unknown shape: the plain-text form, as text. */
function fallback(model: IRenderMime.IMimeModel, payload: unknown): HTMLElement {
  const plain = model.data['text/plain'];
  const text = typeof plain === 'string' ? plain : (JSON.stringify(payload) ?? '');
  const block = element('div', `${CLASS}-fallback`);
  block.appendChild(element('pre', `${CLASS}-fallbackText`, text));
  block.appendChild(
    element('p', `${CLASS}-hint`, 'This metric output has a shape this version cannot show.')
  );
  return block;
}

/** Renders one metric output. */
export class MetricRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly mimeType: string) {
    super();
    this.addClass(CLASS);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const payload = model.data[this.mimeType];
    const metric = readMetric(payload);
    this.node.replaceChildren(metric ? metricCard(metric) : fallback(model, payload));
    return Promise.resolve();
  }
}

/**
 * The renderer factory. Safe: it only ever writes text, so outputs of
 * untrusted notebooks (such as executed run notebooks) render too.
 */
export const metricRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [METRIC_MIME],
  defaultRank: 80,
  createRenderer: options => new MetricRenderer(options.mimeType)
};

const extension: IRenderMime.IExtension = {
  id: 'jupyterlab-nbtools:metric-renderer',
  description: 'Shows metrics recorded with nbtools.record() as cards.',
  rendererFactory: metricRendererFactory,
  dataType: 'json'
};

export default extension;
