import type { TranslationBundle } from '@jupyterlab/translation';

import type { NotebookParameter } from '../api';

/**
 * The job form's parameter values as text and back.
 */

/**
 * A float's NaN or infinity as the server stores and shows it (`nan`, `inf`,
 * `-inf`: JSON has no such numbers), from the text a user may type for it
 * (`Infinity`, `+inf`, `NaN`, as `-p` takes it); `null` for other text.
 */
function nonFiniteName(text: string): string | null {
  const match = /^\s*([+-]?)(inf|infinity|nan)\s*$/i.exec(text);
  if (match === null) {
    return null;
  }
  if (match[2].toLowerCase() === 'nan') {
    return 'nan';
  }
  return match[1] === '-' ? '-inf' : 'inf';
}

/**
 * Whether a float parameter's value (its default, `1e999`, or a job's) is NaN
 * or an infinity, which a number field cannot show: the form shows it as text.
 */
export function nonFinite(parameter: NotebookParameter, value: unknown): boolean {
  return parameter.type === 'float' && typeof value === 'string';
}

/** A parameter's value as the form shows it (JSON for lists, dicts and None). */
export function display(parameter: NotebookParameter, value: unknown): string {
  return parameter.type === 'str' || nonFinite(parameter, value)
    ? String(value)
    : JSON.stringify(value);
}

/**
 * Parse a form value by the parameter's declared type, or throw a message
 * naming the parameter and what it expects.
 */
export function parse(
  parameter: NotebookParameter,
  text: string,
  trans: TranslationBundle
): unknown {
  const fail = (expected: string): never => {
    throw new Error(
      text.trim() === ''
        ? trans.__('%1 expects %2; the field is empty', parameter.name, expected)
        : trans.__('%1 expects %2, got %3', parameter.name, expected, text)
    );
  };
  const failList = (): never => {
    throw new Error(
      trans.__('%1 expects a JSON list, got %2: write it as %3', parameter.name, text, asList(text))
    );
  };
  switch (parameter.type) {
    case 'str':
      return text;
    case 'bool':
      return text === 'true';
    case 'int':
      return /^\s*-?\d+\s*$/.test(text) ? Number(text) : fail(trans.__('a whole number'));
    case 'float': {
      const value = Number(text);
      if (text.trim() !== '' && Number.isFinite(value)) {
        return value;
      }
      return nonFiniteName(text) ?? fail(trans.__('a number'));
    }
    default: {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (parameter.type === 'list' && text.includes(',')) {
          return failList();
        }
        return parameter.type === 'None' ? text : fail(trans.__('JSON'));
      }
      const kind = Array.isArray(value) ? 'list' : value === null ? 'None' : typeof value;
      const wanted = parameter.type === 'dict' ? 'object' : parameter.type;
      return parameter.type === 'None' || kind === wanted ? value : fail(parameter.type);
    }
  }
}

/**
 * Comma-separated text as the JSON list it probably means: each item a JSON
 * value if it is one (`3`, `true`, `"a"`), else the text (`Lisbon, Porto` →
 * `["Lisbon", "Porto"]`), as the server suggests it.
 */
function asList(text: string): string {
  const items = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map(part => part.trim())
    .filter(part => part !== '')
    .map(part => {
      try {
        return JSON.parse(part) as unknown;
      } catch {
        return part;
      }
    });
  return `[${items.map(item => JSON.stringify(item)).join(', ')}]`;
}
