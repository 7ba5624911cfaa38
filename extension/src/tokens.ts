/**
 * Public tokens and command ids of the nbtools JupyterLab extension.
 *
 * This module is a leaf: it imports nothing from this package, so feature
 * plugins (Jobs, Versions, Environment, Package) can depend on it freely.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

/**
 * Command ids, named `nbtools:verb-noun`.
 */
export namespace CommandIDs {
  /**
   * Open (reveal and activate) the Production panel and move the keyboard focus into it.
   * Optional argument `section`: the id of a section to expand and focus (the notebook
   * toolbar's Productionize button passes the Package section).
   */
  export const openPanel = 'nbtools:open-panel';

  /**
   * Give the keyboard focus back to the notebook the Production panel follows, in command
   * mode (Escape in the panel).
   */
  export const returnToNotebook = 'nbtools:return-to-notebook';

  /**
   * Fetch the server status again and show it in the panel.
   */
  export const refreshStatus = 'nbtools:refresh-status';

  /**
   * Open the create-job form in the main area. Argument `path`: the notebook
   * to run (default: the active notebook).
   */
  export const createJob = 'nbtools:create-job';

  /** Open the edit form of a job in the main area (argument `id`, the job id). */
  export const editJob = 'nbtools:edit-job';

  /**
   * Save the active notebook and record it as a named version (asks for a message).
   */
  export const saveVersion = 'nbtools:save-version';

  /**
   * Show a notebook version in the Versions section. Arguments: `path` (the
   * notebook; opened if it is not the active one) and `number` (the version).
   */
  export const showVersion = 'nbtools:show-version';

  /**
   * Compare the kernel's environment with a snapshot in the Environment
   * section. Argument: `id` (a snapshot id).
   */
  export const showSnapshot = 'nbtools:show-snapshot';

  /**
   * Run the active notebook once now, with its default parameters (a run, not
   * a job); unsaved changes are saved first.
   */
  export const runNow = 'nbtools:run-now';
  /** Open a job's page in the main area (argument `id`, the job id). */
  export const openJob = 'nbtools:open-job';

  /** Open the jobs dashboard (every job of the project) in the main area. */
  export const openJobsDashboard = 'nbtools:open-jobs-dashboard';

  /**
   * Open the active notebook's newest version compared with the one before, in the main area.
   */
  export const comparePreviousVersion = 'nbtools:compare-previous-version';

  /**
   * Open a version diff in the main area. Arguments: `path` (the notebook),
   * `a` and `b` (references: a version number, `latest`, `latest~N` or `disk`).
   */
  export const openVersionDiff = 'nbtools:open-version-diff';

  /**
   * Revert the active notebook to one of its versions, chosen by number (File menu).
   */
  export const revertToVersion = 'nbtools:revert-to-version';

  /**
   * Snapshot the active notebook kernel's environment and compare it with its baseline.
   */
  export const snapshotEnvironment = 'nbtools:snapshot-environment';

  /**
   * Recreate a snapshot (argument `snapshot`, by default the one the Environment section
   * compares with, else the kernel's) in a new virtual environment, after a confirmation.
   */
  export const recreateEnvironment = 'nbtools:recreate-environment';

  /** Open a dataset's page in the main area (argument `name`, the dataset's name). */
  export const openDataset = 'nbtools:open-dataset';

  /** Open the audit trail in the main area (needs the `admin` permission to read it). */
  export const showAudit = 'nbtools:show-audit';
}

/**
 * The Production panel in the left sidebar.
 *
 * Feature plugins add their own section through `addSection`; the panel
 * follows the active notebook so each section can show what belongs to it.
 * Sections are collapsible; all start collapsed (Status expands by itself
 * when the server cannot be reached), and each section's expanded state is
 * remembered across reloads.
 */
export interface IProductionPanel {
  /**
   * The id of the panel widget in the shell (for `shell.activateById`).
   */
  readonly id: string;

  /**
   * Server path of the notebook the panel follows: the active notebook, or,
   * when the active tab is a run's output notebook, the notebook that run
   * executed. `null` when no notebook is open.
   */
  readonly notebookPath: string | null;

  /**
   * Emitted with the new path whenever the active notebook changes or is
   * renamed.
   */
  readonly notebookPathChanged: ISignal<IProductionPanel, string | null>;

  /**
   * The widget of the notebook the panel follows (see `notebookPath`), or
   * `null` when no notebook is open, or when it follows a run's source
   * notebook that has no open tab.
   */
  readonly notebook: NotebookPanel | null;

  /**
   * Follow the active notebook: call `follower` now and whenever the active
   * notebook changes or is renamed.
   *
   * What the follower connects to that notebook (its session, save state…)
   * it returns as a disposable; the panel disposes of it before the next call.
   *
   * @returns a disposable that stops following.
   */
  followNotebook(follower: IProductionPanel.NotebookFollower): IDisposable;

  /**
   * Add a feature section to the panel. Sections are ordered by rank
   * (lowest first; the built-in Status section has rank 0; the built-in
   * features use Versions 5, Package 10, Jobs 20, Environment 30, Alerts 40, Data 50).
   * Sections of equal rank keep the order they were added in, which depends
   * on the order plugins activate: give each section its own rank.
   *
   * @returns a disposable that removes the section again.
   */
  addSection(options: IProductionPanel.ISectionOptions): IDisposable;

  /**
   * Expand the section with the given id (remembered like a click on its
   * header). Returns `false` if there is none.
   */
  expandSection(id: string): boolean;
}

/** The id of the Production panel's Jobs section (`CommandIDs.openPanel`'s `section`). */
export const JOBS_SECTION_ID = 'nbtools-jobs';

export namespace IProductionPanel {
  /**
   * Called with the active notebook (`null`: none) and its path; may return
   * what it connected to that notebook, to be disposed of on the next change.
   */
  export type NotebookFollower = (
    notebook: NotebookPanel | null,
    path: string | null
  ) => IDisposable | void;

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
