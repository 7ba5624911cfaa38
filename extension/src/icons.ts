import { LabIcon } from '@jupyterlab/ui-components';

// A factory with a saw-tooth roof: notebooks go in, production code comes out.
// `jp-icon3` lets the themes recolour it.
const productionSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" fill-rule="evenodd"
    d="M2 21V10l5 3v-3l5 3v-3l5 3V3h4v18H2zm3-5v2h3v-2H5zm5 0v2h3v-2h-3zm5 0v2h3v-2h-3z"/>
</svg>`;

/**
 * Icon of the Production panel and of the Productionize command.
 */
export const productionIcon = new LabIcon({
  name: 'jupyterlab-nbtools:production',
  svgstr: productionSvg
});

// A triangle with an exclamation mark, in the theme's warning colour (`jp-icon-warn0`).
const warningSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <path class="jp-icon-warn0" fill="#f57c00"
    d="M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z"/>
</svg>`;

/**
 * Marker of a warning in a list or a field (never alone: the words beside it say what).
 */
export const warningIcon = new LabIcon({
  name: 'jupyterlab-nbtools:warning',
  svgstr: warningSvg
});
