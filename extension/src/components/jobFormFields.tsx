import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { NotebookParameter } from '../api';

/**
 * The job form's building blocks: a labelled field with its error under it,
 * and parameter values as text and back.
 */

/** A parameter's value as the form shows it (JSON for lists, dicts and None). */
export function display(parameter: NotebookParameter, value: unknown): string {
  return parameter.type === 'str' ? String(value) : JSON.stringify(value);
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
      return text.trim() !== '' && Number.isFinite(value) ? value : fail(trans.__('a number'));
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

/**
 * A labelled form field with its error under it: the control gets `id`,
 * `aria-invalid` and `aria-describedby` from `control(props)`. A `check`
 * field (a checkbox) has its control first, at the left, its label beside it.
 */
export function Field({
  id,
  label,
  error,
  hint,
  check = false,
  control
}: {
  id: string;
  label: React.ReactNode;
  error?: string;
  hint?: string;
  check?: boolean;
  control: (props: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  }) => React.ReactElement;
}): React.ReactElement {
  const described = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean);
  const labelled = <label htmlFor={id}>{label}</label>;
  const input = control({
    id,
    'aria-invalid': !!error,
    ...(described.length ? { 'aria-describedby': described.join(' ') } : {})
  });
  return (
    <div className={`jp-nbtools-JobForm-field${error ? ' jp-mod-invalid' : ''}`}>
      {check ? (
        <div className="jp-nbtools-Check">
          {input}
          {labelled}
        </div>
      ) : (
        <>
          {labelled}
          {input}
        </>
      )}
      {hint && (
        <p id={`${id}-hint`} className="jp-nbtools-JobForm-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="jp-nbtools-FieldError">
          {error}
        </p>
      )}
    </div>
  );
}
