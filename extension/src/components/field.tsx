import * as React from 'react';

/**
 * A labelled form field with its error under it, as every form of the extension shows
 * one: the control gets `id`, `aria-invalid` and `aria-describedby` from
 * `control(props)`, so that its accessible name is the label alone and the error (and
 * hint) its description. A `check` field (a checkbox) has its control first, at the
 * left, its label beside it.
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
    <div className={`jp-nbtools-Field${error ? ' jp-mod-invalid' : ''}`}>
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

/**
 * A form's own alert: the errors of fields it does not show (`''`: of no field), each after
 * its field's API name (a parameter's as `parameters.NAME`), so that none goes unsaid.
 */
export function FormErrors({ errors }: { errors: [string, string][] }): React.ReactElement | null {
  if (errors.length === 0) {
    return null;
  }
  return (
    <div role="alert" className="jp-nbtools-Error jp-nbtools-FormErrors">
      {errors.map(([field, message]) => (
        <p key={field}>
          {field !== '' && <code>{field.replace(/^parameter:/, 'parameters.')}</code>}
          {field !== '' && ': '}
          {message}
        </p>
      ))}
    </div>
  );
}
