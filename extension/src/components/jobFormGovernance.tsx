import type { TranslationBundle } from '@jupyterlab/translation';
import { InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { NotebookDataCheck } from '../api';
import { ClassificationBadge } from './classification';
import { Field } from './field';

/**
 * The job form's Governance section: the catalog's datasets the notebook uses (each with its
 * classification and allowed purposes) and the job's purpose, with its error under it.
 */
export function GovernanceFields({
  id,
  data,
  purpose,
  error,
  onPurpose,
  trans
}: {
  id: string;
  data: NotebookDataCheck;
  purpose: string;
  error: string | undefined;
  onPurpose: (text: string) => void;
  trans: TranslationBundle;
}): React.ReactElement {
  return (
    <fieldset>
      <legend>{trans.__('Governance')}</legend>
      {data.uses.length > 0 ? (
        <ul className="jp-nbtools-JobForm-data" aria-label={trans.__('Datasets used')}>
          {data.uses.map(use => (
            <li key={use.dataset}>
              <code>{use.dataset}</code>{' '}
              <ClassificationBadge classification={use.classification} trans={trans} />{' '}
              {use.purposes.length
                ? trans.__('allowed purposes: %1', use.purposes.join(', '))
                : trans.__('no allowed purposes listed')}
            </li>
          ))}
        </ul>
      ) : (
        <p className="jp-nbtools-JobForm-hint">
          {trans.__('The notebook uses no dataset of the catalog.')}
        </p>
      )}
      <Field
        id={id}
        label={data.purpose_required ? trans.__('Purpose (required)') : trans.__('Purpose')}
        error={error}
        hint={trans.__(
          "What the notebook's data is used for, e.g. churn-model: checked against each dataset's allowed purposes."
        )}
        control={props => (
          <InputGroup
            {...props}
            required={data.purpose_required}
            value={purpose}
            onChange={event => onPurpose(event.currentTarget.value)}
          />
        )}
      />
    </fieldset>
  );
}
