import { Clipboard } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ServiceInfo } from '../api';
import type { ServePreviewModel } from './servePreviewModel';
import { useFocusHandover } from './focusHandover';
import { Spinner } from './spinner';
import type { ITryField } from './tryItForm';
import { WarningSign } from './warningSign';

type Trans = TranslationBundle;

/** The id of the Serve step's message: why a start was refused, a call failed… */
const MESSAGE_ID = 'jp-nbtools-serve-message';

/**
 * The wizard's Serve step: start a preview of the written package, try its
 * endpoints, copy the `curl` command, stop it. While a request is under way its
 * buttons are `aria-disabled`, not `disabled`: the one pressed keeps the keyboard
 * focus. Start and Stop take turns being disabled (a preview runs or not): the focus
 * goes from the one that becomes disabled to the other.
 */
export function ServeStep({
  model,
  packageDir,
  finding,
  trans
}: {
  model: ServePreviewModel;
  packageDir: string | null;
  /** Whether the wizard is still working out where the package is. */
  finding: boolean;
  trans: Trans;
}): React.ReactElement {
  React.useEffect(() => {
    if (packageDir) {
      void model.attach(packageDir);
    }
  }, [model, packageDir]);
  const preview = model.preview;
  const live = preview !== null && preview.state !== 'exited';
  const stoppable = preview !== null;
  const buttons = useFocusHandover([live, stoppable]);

  if (!packageDir) {
    return (
      <p className="jp-nbtools-muted">
        {finding
          ? trans.__('Finding the package…')
          : trans.__('Write and test the package first: the preview serves the written package.')}
      </p>
    );
  }
  return (
    <div className="jp-nbtools-Serve">
      <p className="jp-nbtools-muted">
        {trans.__(
          'Serve %1 on this machine (loopback only) to try its functions as an application would.',
          packageDir
        )}
      </p>
      {!live && (
        <fieldset className="jp-nbtools-ServeOptions" disabled={model.busy}>
          <legend>{trans.__('Preview options')}</legend>
          <div className="jp-nbtools-Field">
            <label htmlFor="jp-nbtools-serve-start-key">
              {trans.__('Require an API key (optional)')}
            </label>
            <input
              id="jp-nbtools-serve-start-key"
              className="jp-mod-styled"
              type="password"
              autoComplete="off"
              value={model.startApiKey}
              aria-describedby="jp-nbtools-serve-start-key-help"
              onChange={event => model.setStartOptions({ apiKey: event.target.value })}
            />
            <span id="jp-nbtools-serve-start-key-help" className="jp-nbtools-muted">
              {trans.__(
                'Calls then need it as the X-API-Key header, as nbtools serve --api-key-env asks for it.'
              )}
            </span>
          </div>
          <label className="jp-nbtools-Check">
            <input
              type="checkbox"
              checked={model.startRecord}
              onChange={event => model.setStartOptions({ record: event.target.checked })}
            />
            {trans.__(
              "Record its traffic in this project's store, as nbtools serve --record-to does"
            )}
          </label>
        </fieldset>
      )}
      <div className="jp-nbtools-ButtonRow" ref={buttons}>
        <Button
          className="jp-mod-styled jp-mod-accept"
          disabled={live}
          aria-disabled={model.busy}
          aria-describedby={model.message ? MESSAGE_ID : undefined}
          onClick={() => void model.start(packageDir)}
        >
          {trans.__('Start preview')}
        </Button>
        <Button
          className="jp-mod-styled jp-mod-warn"
          disabled={!stoppable}
          aria-disabled={model.busy}
          onClick={() => void model.stop()}
        >
          {trans.__('Stop')}
        </Button>
      </div>
      {model.message && (
        <p id={MESSAGE_ID} role="alert" className="jp-nbtools-ServeError">
          {model.message}
        </p>
      )}
      {preview && (
        <p role="status" data-testid="nbtools-serve-state">
          {preview.state === 'starting' && <Spinner />}
          {preview.state === 'ready'
            ? trans.__('Ready at %1 (process %2).', preview.url, preview.pid)
            : preview.state === 'starting'
              ? trans.__('Starting %1…', preview.package)
              : trans.__('Ended with exit code %1.', String(preview.exit_code))}
        </p>
      )}
      {preview?.state === 'ready' && preview.info && (
        <ServedLineage info={preview.info} trans={trans} />
      )}
      {preview?.recording && (
        <p className="jp-nbtools-muted">
          {trans.__(
            'Its traffic is recorded as the series of the job service:%1.',
            preview.package
          )}
        </p>
      )}
      {preview && <ServiceLog text={model.log} trans={trans} />}
      {preview?.state === 'ready' && <TryIt model={model} trans={trans} />}
    </div>
  );
}

/**
 * Where the served package came from, as its `/info` says (read again while its lineage is
 * still being recorded): the notebook version and environment its extraction recorded, and
 * a warning with what to do when a part could not be recorded (`lineage_problems`).
 */
function ServedLineage({ info, trans }: { info: ServiceInfo; trans: Trans }): React.ReactElement {
  const version = info.notebook_version;
  const environment = info.environment;
  const problems = info.lineage_problems ?? [];
  return (
    <section
      className="jp-nbtools-ServedLineage"
      aria-label={trans.__('Lineage of the served package')}
    >
      <p>
        {info.lineage_pending
          ? trans.__(
              'Its notebook version and environment are still being recorded: they show here once recorded (if not within minutes, restart the preview).'
            )
          : `${
              version
                ? trans.__('Written from notebook version %1 of %2', version.number, version.path)
                : trans.__('Written from no recorded notebook version')
            }, ${
              environment
                ? trans.__(
                    'environment %1 (kernel %2, Python %3).',
                    environment.id.slice(0, 12),
                    environment.kernel,
                    environment.python_version
                  )
                : trans.__('no environment recorded.')
            }`}
      </p>
      {problems.length > 0 && (
        <p role="note" className="jp-nbtools-Caution">
          <WarningSign trans={trans} />
          {trans.__('Its lineage is incomplete: %1', problems.join(' '))}{' '}
          {trans.__(
            'Then write the package again (4. Write and test) to record its lineage, and restart the preview.'
          )}
        </p>
      )}
    </section>
  );
}

/** The preview's log, kept scrolled to its end while it grows (unless the
 * reader scrolled up). */
function ServiceLog({ text, trans }: { text: string; trans: Trans }): React.ReactElement {
  const ref = React.useRef<HTMLPreElement>(null);
  const atEnd = React.useRef(true);
  React.useEffect(() => {
    const node = ref.current;
    if (node && atEnd.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [text]);
  return (
    <pre
      ref={ref}
      className="jp-nbtools-Output jp-nbtools-ServeLog"
      aria-label={trans.__('Service log')}
      tabIndex={0}
      onScroll={event => {
        const node = event.currentTarget;
        atEnd.current = node.scrollTop + node.clientHeight >= node.scrollHeight - 4;
      }}
    >
      {text}
    </pre>
  );
}

function TryIt({ model, trans }: { model: ServePreviewModel; trans: Trans }): React.ReactElement {
  const operation = model.operation;
  if (!operation) {
    return <p>{trans.__('The service serves no function.')}</p>;
  }
  const curl = model.curl;
  return (
    <div className="jp-nbtools-TryIt">
      <form
        className="jp-nbtools-Form"
        aria-label={trans.__('Try it')}
        onSubmit={event => {
          event.preventDefault();
          void model.send();
        }}
      >
        <label className="jp-nbtools-Field">
          <span>{trans.__('Endpoint')}</span>
          <select
            className="jp-mod-styled"
            value={model.endpoint}
            onChange={event => model.selectEndpoint(event.target.value)}
          >
            {model.operations.map(item => (
              <option key={item.name} value={item.name}>
                {`POST /${item.name}`}
              </option>
            ))}
          </select>
        </label>
        {operation.summary && <p className="jp-nbtools-muted">{operation.summary}</p>}
        {model.preview?.needs_api_key && (
          <div className="jp-nbtools-Field">
            <label htmlFor="jp-nbtools-try-api-key">{trans.__('API key')}</label>
            <input
              id="jp-nbtools-try-api-key"
              className="jp-mod-styled"
              type="password"
              autoComplete="off"
              value={model.apiKey}
              onChange={event => model.setApiKey(event.target.value)}
            />
          </div>
        )}
        {operation.fields.map(field => (
          <TryField key={field.name} field={field} model={model} trans={trans} />
        ))}
        <div>
          <Button type="submit" className="jp-mod-styled jp-mod-accept" aria-disabled={model.busy}>
            {trans.__('Send')}
          </Button>
        </div>
      </form>
      {model.response && (
        <div className="jp-nbtools-ServeResponse">
          <p role="status" data-testid="nbtools-serve-response-status">
            {trans.__(
              'Status %1 in %2 ms',
              model.response.status,
              model.response.latency_ms.toFixed(1)
            )}
          </p>
          <pre className="jp-nbtools-Output" aria-label={trans.__('Response')} tabIndex={0}>
            {JSON.stringify(model.response.body, null, 2)}
          </pre>
        </div>
      )}
      <div className="jp-nbtools-Curl">
        <span>{trans.__('Call it with curl (on this machine):')}</span>
        <pre className="jp-nbtools-Output" aria-label={trans.__('curl command')} tabIndex={0}>
          {curl}
        </pre>
        <Button minimal onClick={() => Clipboard.copyToSystem(curl)}>
          {trans.__('Copy curl command')}
        </Button>
      </div>
    </div>
  );
}

function TryField({
  field,
  model,
  trans
}: {
  field: ITryField;
  model: ServePreviewModel;
  trans: Trans;
}): React.ReactElement {
  const id = `jp-nbtools-try-${field.name}`;
  const error = model.errors[field.name];
  const value = model.values[field.name];
  const describedBy = error ? `${id}-error` : undefined;
  const label = field.required ? `${field.name} *` : field.name;
  let input: React.ReactElement;
  if (field.kind === 'boolean') {
    input = (
      <input
        id={id}
        type="checkbox"
        checked={value === true}
        aria-describedby={describedBy}
        onChange={event => model.setValue(field.name, event.target.checked)}
      />
    );
  } else if (field.kind === 'choice') {
    input = (
      <select
        id={id}
        className="jp-mod-styled"
        value={typeof value === 'string' ? value : ''}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy}
        onChange={event => model.setValue(field.name, event.target.value)}
      >
        {(!field.required || value === '') && (
          <option value="">{field.required ? trans.__('(choose)') : trans.__('(default)')}</option>
        )}
        {field.choices.map(choice => (
          <option key={JSON.stringify(choice)} value={JSON.stringify(choice)}>
            {String(choice)}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = field.kind === 'number' || field.kind === 'integer';
    input = (
      <input
        id={id}
        className="jp-mod-styled"
        type={numeric ? 'number' : 'text'}
        step={field.kind === 'integer' ? 1 : numeric ? 'any' : undefined}
        placeholder={field.kind === 'json' ? trans.__('JSON, e.g. ["a", "b"]') : undefined}
        value={typeof value === 'string' ? value : ''}
        aria-required={field.required}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy}
        onChange={event => model.setValue(field.name, event.target.value)}
      />
    );
  }
  return (
    <div className="jp-nbtools-Field">
      <label htmlFor={id}>
        {label} <span className="jp-nbtools-muted">{field.kind}</span>
      </label>
      {input}
      {error && (
        <span id={`${id}-error`} className="jp-nbtools-FieldError">
          {error}
        </span>
      )}
    </div>
  );
}
