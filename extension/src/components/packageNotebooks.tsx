import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { fileName } from './notebookSet';
import type { ProductionizeModel } from './productionizeModel';
import { Spinner } from './spinner';

type Trans = TranslationBundle;

/**
 * The notebooks the package is made of: a set's, which the wizard extracts whole, or this
 * notebook and the others of its folder the user includes.
 */
export function PackageNotebooks({
  model,
  trans
}: {
  model: ProductionizeModel;
  trans: Trans;
}): React.ReactElement {
  const id = React.useId().replace(/:/g, '');
  const set = model.setPackage;
  if (set) {
    return (
      <div role="group" aria-labelledby={`${id}-set`} className="jp-nbtools-PackageNotebooks">
        <p id={`${id}-set`}>
          {trans.__(
            'This notebook is one of the %1 notebooks of package %2 (%3): the wizard extracts them all.',
            set.notebooks.length,
            set.package,
            set.output
          )}
        </p>
        <ol aria-label={trans.__('Notebooks of the package')}>
          {set.notebooks.map(notebook => (
            <li key={notebook}>
              <code>{notebook}</code>
            </li>
          ))}
        </ol>
      </div>
    );
  }
  const others = model.otherNotebooks;
  const error = model.notebooksError;
  const included = model.options.include;
  const errorId = `${id}-error`;
  // A notebook the write would drop is the one to include again: focused, described by why.
  const dropped = (notebook: string) => error?.dropped.includes(notebook) ?? false;
  const firstDropped = others?.find(dropped);
  return (
    <fieldset
      className={`jp-nbtools-PackageNotebooks${error ? ' jp-mod-invalid' : ''}`}
      aria-describedby={error ? errorId : undefined}
    >
      <legend>{trans.__('Include other notebooks')}</legend>
      {others === null ? (
        <p role="status" className="jp-nbtools-muted">
          {model.busy && <Spinner />}
          {model.busy
            ? trans.__('Finding the notebooks beside this one…')
            : trans.__('A preview lists the notebooks beside this one.')}
        </p>
      ) : others.length === 0 ? (
        <p className="jp-nbtools-muted">{trans.__('No other notebook in this folder.')}</p>
      ) : (
        others.map(notebook => (
          <label key={notebook} className="jp-nbtools-Check">
            <input
              type="checkbox"
              checked={included.includes(notebook)}
              aria-invalid={dropped(notebook)}
              aria-describedby={dropped(notebook) ? errorId : undefined}
              autoFocus={notebook === firstDropped}
              onChange={event => model.includeNotebook(notebook, event.target.checked)}
            />
            <span>{fileName(notebook)}</span>
          </label>
        ))
      )}
      {included.length > 0 && (
        <p className="jp-nbtools-muted">
          {trans.__('One package of %1 notebooks, in order of file name.', included.length + 1)}
        </p>
      )}
      {error && (
        <p id={errorId} className="jp-nbtools-FieldError">
          {error.message}
        </p>
      )}
      {error && error.dropped.length > 0 && (
        <Button
          type="button"
          minimal
          aria-disabled={model.busy}
          onClick={() => writeWithout(model)}
        >
          {trans._n('Write without it', 'Write without them', error.dropped.length)}
        </Button>
      )}
    </fieldset>
  );
}

/** Write the package from the Write step, dropping from its set's package the notebooks left out. */
function writeWithout(model: ProductionizeModel): void {
  model.setStep('write');
  void model.writeAndTest(true);
}
