/**
 * Public tokens and command ids of the nbtools JupyterLab extension.
 *
 * This module is a leaf: it imports nothing from this package, so feature
 * plugins (Jobs, Versions, Environment, Package) can depend on it freely.
 */
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

/**
 * Command ids, named `nbtools:verb-noun`.
 */
export namespace CommandIDs {
  /**
   * Open (reveal and activate) the Production panel. Optional argument
   * `section`: the id of a section to expand.
   */
  export const openPanel = 'nbtools:open-panel';

  /**
   * Fetch the server status again and show it in the panel.
   */
  export const refreshStatus = 'nbtools:refresh-status';

  /**
   * Open the Jobs section with the create-job form. Argument `path`: the
   * notebook to run (default: the active notebook).
   */
  export const createJob = 'nbtools:create-job';

  /**
   * Save the active notebook and record it as a named version (asks for a message).
   */
  export const saveVersion = 'nbtools:save-version';
}

/**
 * The Production panel in the left sidebar.
 *
 * Feature plugins add their own section through `addSection`; the panel
 * follows the active notebook so each section can show what belongs to it.
 */
export interface IProductionPanel {
  /**
   * The id of the panel widget in the shell (for `shell.activateById`).
   */
  readonly id: string;

  /**
   * Server path of the active notebook, or `null` when no notebook is open.
   */
  readonly notebookPath: string | null;

  /**
   * Emitted with the new path whenever the active notebook changes or is
   * renamed.
   */
  readonly notebookPathChanged: ISignal<IProductionPanel, string | null>;

  /**
   * Add a feature section to the panel. Sections are ordered by rank
   * (lowest first; the built-in Status section has rank 0).
   *
   * @returns a disposable that removes the section again.
   */
  addSection(options: IProductionPanel.ISectionOptions): IDisposable;

  /**
   * Expand the section with the given id. Returns `false` if there is none.
   */
  expandSection(id: string): boolean;
}

export namespace IProductionPanel {
  /**
   * Options for a feature section.
   */
  export interface ISectionOptions {
    /**
     * Unique DOM id of the section widget, e.g. `nbtools-jobs`.
     */
    id: string;

    /**
     * Human-readable, already translated section title, e.g. "Jobs".
     */
    label: string;

    /**
     * Sort key; lower ranks come first.
     */
    rank: number;

    /**
     * The section content. A widget with a `toolbar` property (such as
     * `PanelWithToolbar`) gets that toolbar in its section title.
     */
    widget: Widget;
  }
}

/**
 * The token of the Production panel.
 */
export const IProductionPanel = new Token<IProductionPanel>(
  'jupyterlab-nbtools:IProductionPanel',
  'The Production panel of nbtools: lets feature plugins add a section and follow the active notebook.'
);
