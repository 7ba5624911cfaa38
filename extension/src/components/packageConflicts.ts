import type { TranslationBundle } from '@jupyterlab/translation';

import { NbtoolsApiError, asError } from '../api';

/** A package the server refused to write over: another notebook's. */
export interface IOwnedPackage {
  /** The notebook the package in the output directory comes from. */
  notebook: string;
  /**
   * The output directory the user chose (`''`: the default one: the directory holding the
   * notebook's package in the project, else one next to the notebook).
   */
  output: string;
  /** That notebook no longer exists (this one may be it, renamed or moved). */
  gone: boolean;
}

/** Files of the output directory a write was refused over. */
export interface IFileConflict {
  /**
   * `edited`: files of the package edited (or put where it writes) since nbtools wrote it;
   * `foreign`: a directory without a package, holding other files.
   */
  kind: 'edited' | 'foreign';
  /** The output directory the user chose (`''`: the default one). */
  output: string;
  /** The files, relative to the output directory. */
  files: string[];
}

/** Up to `shown` of `files`, then how many more. */
export function someFiles(files: string[], trans: TranslationBundle, shown = 5): string {
  const listed = files.slice(0, shown).join(', ');
  return files.length > shown ? trans.__('%1 and %2 more', listed, files.length - shown) : listed;
}

/**
 * What in the output directory a write was refused over (a 409's `details.kind`), if it
 * was: `output` is the output directory the user chose.
 */
export function conflictOf(error: unknown, output: string): IOwnedPackage | IFileConflict | null {
  if (!(error instanceof NbtoolsApiError) || error.status !== 409) {
    return null;
  }
  const { kind, notebook, files, gone } = error.details;
  if (kind === 'another-notebook' && typeof notebook === 'string') {
    return { notebook, output, gone: gone === true };
  }
  if ((kind === 'edited-files' || kind === 'foreign-files') && Array.isArray(files)) {
    const named = files.map(String);
    return { kind: kind === 'edited-files' ? 'edited' : 'foreign', output, files: named };
  }
  return null;
}

/**
 * The notebooks of a set a write was refused for dropping from the set's package (a 409's
 * `details.kind: dropped-notebooks`), with that package's directory; else `null`.
 */
export function droppedOf(error: unknown): { output: string; notebooks: string[] } | null {
  if (!(error instanceof NbtoolsApiError) || error.status !== 409) {
    return null;
  }
  const { kind, notebooks, path } = error.details;
  if (kind !== 'dropped-notebooks' || !Array.isArray(notebooks) || typeof path !== 'string') {
    return null;
  }
  return { output: path, notebooks: notebooks.map(String) };
}

/**
 * What the wizard says of a refused call: the server's message, except for a write refused for
 * dropping notebooks of the set whose package its output directory holds, whose words name a
 * command line and its --force (the wizard's are "Include them again" and "Write without them").
 */
export function refusalMessage(reason: unknown, trans: TranslationBundle): string {
  const dropped = droppedOf(reason);
  if (dropped === null) {
    return asError(reason).message;
  }
  const names = dropped.notebooks.join(', ');
  return trans._n(
    "Not written: %2 holds the package of this notebook's set, and writing without %3 would remove what it exports from it. Include %3 again, or write without it to drop it from the package.",
    "Not written: %2 holds the package of this notebook's set, and writing without %3 would remove what they export from it. Include them again, or write without them to drop them from the package.",
    dropped.notebooks.length,
    dropped.output,
    names
  );
}

/** What the wizard says when the user declined to write over `conflict`. */
export function declined(
  conflict: IOwnedPackage | IFileConflict,
  trans: TranslationBundle
): string {
  const where = conflict.output || trans.__('next to the notebook');
  if ('notebook' in conflict) {
    return trans.__(
      'Not written: the output directory %1 holds the package of %2. Choose another output directory in Options.',
      where,
      conflict.notebook
    );
  }
  const files = someFiles(conflict.files, trans);
  return conflict.kind === 'edited'
    ? trans.__(
        'Not written: files of the package were edited since nbtools wrote them (%1). Move the changes into the notebook, or write again and keep them as .orig copies.',
        files
      )
    : trans.__(
        'Not written: the output directory %1 holds files nbtools did not generate (%2). Choose another output directory in Options, or write again to add the package beside them.',
        where,
        files
      );
}
