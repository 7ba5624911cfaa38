/**
 * Productionize tags on notebook cells: the roles a cell can have, and how a
 * one-click toggle changes a cell's tag list.
 */

/** Tags that give a cell its role; a cell has at most one. */
export const ROLE_TAGS = ['export', 'main', 'test', 'parameters'] as const;

/** Every tag the Productionize wizard toggles. */
export const EXPORT_TAGS = [...ROLE_TAGS, 'skip'] as const;

export type ExportTag = (typeof EXPORT_TAGS)[number];

const NBDEV_DIRECTIVE = /^\s*#\s*\|\s*(default_exp|exports|exporti|export|hide)\b(.*)$/;

function isRoleTag(tag: string): boolean {
  return (ROLE_TAGS as readonly string[]).includes(tag) || tag.startsWith('export:');
}

/**
 * The tag list after toggling `tag`: adding a role removes the cell's other
 * roles (export, export:<module>, main, test, parameters); `skip` is
 * independent. Unrelated tags are kept in order.
 */
export function toggleTag(tags: readonly string[], tag: ExportTag): string[] {
  if (tags.includes(tag)) {
    return tags.filter(existing => existing !== tag);
  }
  const kept = isRoleTag(tag) ? tags.filter(existing => !isRoleTag(existing)) : [...tags];
  return [...kept, tag];
}

/**
 * The roles a cell's tags give it, as its badges show them: its one role
 * (`parameters`, `export`, `export: <module>`, `main`, `test`) and `skip`.
 */
export function cellRoles(tags: readonly string[]): string[] {
  const roles = tags
    .filter(isRoleTag)
    .map(tag => (tag.startsWith('export:') ? `export: ${tag.slice('export:'.length)}` : tag));
  return tags.includes('skip') ? [...roles, 'skip'] : roles;
}

/**
 * Whether a toggle for `tag` shows as pressed: `export` also stands for
 * `export:<module>`.
 */
export function hasTag(tags: readonly string[], tag: ExportTag): boolean {
  return tags.includes(tag) || (tag === 'export' && tags.some(t => t.startsWith('export:')));
}

/**
 * The nbdev directives at the top of a cell's source, e.g. `#| export utils`.
 */
export function nbdevDirectives(source: string): string[] {
  const found: string[] = [];
  for (const line of source.split('\n')) {
    const match = NBDEV_DIRECTIVE.exec(line);
    if (match) {
      found.push(`#| ${match[1]}${match[2].trimEnd()}`);
    } else if (line.trim() !== '') {
      break;
    }
  }
  return found;
}

/**
 * Read a cell's tags from its metadata, ignoring anything that is not a string.
 */
export function tagsOf(metadata: unknown): string[] {
  return Array.isArray(metadata) ? metadata.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * The part of a cell model that holds its tags.
 */
export interface ITaggable {
  getMetadata(key: string): unknown;
  setMetadata(key: string, value: unknown): void;
  deleteMetadata(key: string): unknown;
}

/**
 * Toggle `tag` on a cell model (see `toggleTag`); an empty list removes the
 * `tags` metadata entirely.
 */
export function toggleCellTag(cell: ITaggable, tag: ExportTag): void {
  const tags = toggleTag(tagsOf(cell.getMetadata('tags')), tag);
  if (tags.length) {
    cell.setMetadata('tags', tags);
  } else {
    cell.deleteMetadata('tags');
  }
}
