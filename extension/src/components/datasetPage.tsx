import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { NbtoolsApiError, asError, getDataset, getDatasetUsage } from '../api';
import type { Dataset, DatasetUsage } from '../api';
import { ClassificationBadge } from './classification';
import { formatTime } from './dates';
import { notifyFailure } from './notices';
import { erasedText } from './runStatus';

/** Where the dataset page's links lead (each opens the thing in JupyterLab). */
export interface IDatasetLinks {
  /** Open a notebook (or any file) of the server root. */
  openPath(path: string): Promise<void>;
  /** Open a job's page. */
  openJob(id: number): Promise<void>;
  /** Open a run's executed notebook. */
  openRunOutput(runId: number): Promise<void>;
  /** Show a notebook's version in the Versions section. */
  showVersion(path: string, number: number): Promise<void>;
  /** Show a folder (an extracted package) in the file browser. */
  showFolder(path: string): Promise<void>;
}

interface IPageData {
  /** `null` when the dataset left the catalog (its usage is still known). */
  dataset: Dataset | null;
  usage: DatasetUsage;
}

async function loadPage(name: string): Promise<IPageData> {
  const [dataset, usage] = await Promise.all([
    getDataset(name).catch((reason: unknown) => {
      if (reason instanceof NbtoolsApiError && reason.status === 404) {
        return null;
      }
      throw reason;
    }),
    getDatasetUsage(name)
  ]);
  return { dataset, usage };
}

/** Whether a package's directory is named root-relative (else: absolute, or hashed when long). */
function insideRoot(output: string): boolean {
  return !output.startsWith('/') && !output.startsWith('sha256:');
}

/** A link-styled button that runs `open`, telling the user when it fails. */
function Link({
  open,
  label,
  children
}: {
  open: () => Promise<void>;
  label?: string;
  children: React.ReactNode;
}): React.ReactElement {
  return (
    <button
      type="button"
      className="jp-nbtools-LinkButton"
      aria-label={label}
      onClick={() => void open().catch(reason => notifyFailure(asError(reason).message))}
    >
      {children}
    </button>
  );
}

function Facts({ dataset, trans }: { dataset: Dataset; trans: TranslationBundle }) {
  const none = <span className="jp-nbtools-muted">{trans.__('none')}</span>;
  return (
    <dl className="jp-nbtools-JobPage-facts">
      <dt>{trans.__('Location')}</dt>
      <dd>
        <code>{dataset.location}</code>
      </dd>
      <dt>{trans.__('Description')}</dt>
      <dd>{dataset.description || none}</dd>
      <dt>{trans.__('Classification')}</dt>
      <dd>
        <ClassificationBadge classification={dataset.classification} trans={trans} />
      </dd>
      <dt>{trans.__('Allowed purposes')}</dt>
      <dd>
        {dataset.purposes.length > 0
          ? dataset.purposes.join(', ')
          : dataset.classification === 'personal' || dataset.classification === 'sensitive'
            ? trans.__('none: no job may use it')
            : trans.__('any')}
      </dd>
      <dt>{trans.__('Retention')}</dt>
      <dd>{dataset.retention ?? trans.__('none (runs follow their own retention)')}</dd>
      <dt>{trans.__('Owner')}</dt>
      <dd>{dataset.owner || none}</dd>
      <dt>{trans.__('Tags')}</dt>
      <dd>{dataset.tags.length > 0 ? dataset.tags.join(', ') : none}</dd>
      <dt>{trans.__('Catalogued')}</dt>
      <dd>
        {trans.__('%1, changed %2', formatTime(dataset.created_at), formatTime(dataset.updated_at))}
      </dd>
    </dl>
  );
}

function Schema({ dataset, trans }: { dataset: Dataset; trans: TranslationBundle }) {
  if (dataset.schema === null) {
    return (
      <p>{trans.__('No schema could be read from the data: %1', dataset.schema_note ?? '')}</p>
    );
  }
  return (
    <table
      className="jp-nbtools-JobPage-table"
      aria-label={trans.__('Columns of %1', dataset.name)}
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Column')}</th>
          <th scope="col">{trans.__('Type')}</th>
        </tr>
      </thead>
      <tbody>
        {dataset.schema.map(field => (
          <tr key={field.name}>
            <th scope="row">
              <code>{field.name}</code>
            </th>
            <td>{field.type}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Usage({
  usage,
  links,
  trans
}: {
  usage: DatasetUsage;
  links: IDatasetLinks;
  trans: TranslationBundle;
}) {
  const notebooks = [
    ...new Set([
      ...usage.jobs.map(job => job.notebook_path),
      ...usage.runs.map(run => run.notebook_path),
      ...usage.versions.map(version => version.notebook_path),
      ...usage.packages.map(item => item.notebook_path)
    ])
  ].sort();
  const empty = (text: string) => <p className="jp-nbtools-muted">{text}</p>;
  return (
    <>
      <section aria-label={trans.__('Notebooks')}>
        <h3>{trans.__('Notebooks')}</h3>
        {notebooks.length === 0 ? (
          empty(trans.__('No notebook is known to use it.'))
        ) : (
          <ul aria-label={trans.__('Notebooks using %1', usage.dataset)}>
            {notebooks.map(path => (
              <li key={path}>
                <Link open={() => links.openPath(path)}>{path}</Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label={trans.__('Jobs')}>
        <h3>{trans.__('Jobs')}</h3>
        {usage.jobs.length === 0 ? (
          empty(trans.__('No job uses it.'))
        ) : (
          <ul aria-label={trans.__('Jobs using %1', usage.dataset)}>
            {usage.jobs.map(job => (
              <li key={job.job_id}>
                <Link open={() => links.openJob(job.job_id)}>{job.name}</Link>{' '}
                {trans.__(
                  '(%1; purpose %2; found in its %3)',
                  job.notebook_path,
                  job.purpose ?? trans.__('none'),
                  job.evidence.join(trans.__(' and '))
                )}
                {job.archived && ` · ${trans.__('archived')}`}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label={trans.__('Runs')}>
        <h3>{trans.__('Runs')}</h3>
        {usage.runs.length === 0 ? (
          empty(trans.__('No run read or wrote it through nbtools.data.'))
        ) : (
          <table
            className="jp-nbtools-JobPage-table"
            aria-label={trans.__('Runs using %1', usage.dataset)}
          >
            <thead>
              <tr>
                <th scope="col">{trans.__('Run')}</th>
                <th scope="col">{trans.__('Use')}</th>
                <th scope="col">{trans.__('Status')}</th>
                <th scope="col">{trans.__('Notebook')}</th>
                <th scope="col">{trans.__('Job')}</th>
              </tr>
            </thead>
            <tbody>
              {usage.runs.map(run => (
                <tr key={`${run.run_id}-${run.mode}`}>
                  <th scope="row">
                    {run.files.notebook ? (
                      <Link
                        open={() => links.openRunOutput(run.run_id)}
                        label={trans.__('Open the output of run %1', run.run_id)}
                      >
                        #{run.run_id}
                      </Link>
                    ) : (
                      `#${run.run_id}`
                    )}
                    {erasedText(run, trans) && (
                      <span className="jp-nbtools-DatasetPage-erased">
                        {' '}
                        {erasedText(run, trans)}
                      </span>
                    )}
                  </th>
                  <td>{run.mode === 'write' ? trans.__('wrote') : trans.__('read')}</td>
                  <td>{run.status}</td>
                  <td>{run.notebook_path}</td>
                  <td>
                    {run.job_id === null ? (
                      '—'
                    ) : (
                      <Link
                        open={() => links.openJob(run.job_id as number)}
                        label={trans.__('Open job %1', run.job_id)}
                      >
                        {trans.__('job %1', run.job_id)}
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label={trans.__('Packages')}>
        <h3>{trans.__('Packages')}</h3>
        {usage.packages.length === 0 ? (
          empty(trans.__('No extracted package names it.'))
        ) : (
          <ul aria-label={trans.__('Packages derived from %1', usage.dataset)}>
            {usage.packages.map(item => (
              <li key={item.output}>
                {insideRoot(item.output) ? (
                  <Link open={() => links.showFolder(item.output)}>{item.output}</Link>
                ) : (
                  <code>{item.output}</code>
                )}{' '}
                {trans.__('(from %1, version %2)', item.notebook_path, item.version_number)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label={trans.__('Notebook versions')}>
        <h3>{trans.__('Notebook versions')}</h3>
        {usage.versions.length === 0 ? (
          empty(trans.__('No recorded notebook version used it.'))
        ) : (
          <ul aria-label={trans.__('Notebook versions using %1', usage.dataset)}>
            {usage.versions.map(version => (
              <li key={version.version_id}>
                <Link open={() => links.showVersion(version.notebook_path, version.number)}>
                  {trans.__('%1, version %2', version.notebook_path, version.number)}
                </Link>{' '}
                {trans.__('(%1)', version.evidence.join(trans.__(' and ')))}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function DatasetPageContent({
  name,
  version,
  links,
  trans
}: {
  name: string;
  version: number;
  links: IDatasetLinks;
  trans: TranslationBundle;
}): React.ReactElement {
  const [data, setData] = React.useState<IPageData | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let live = true;
    loadPage(name).then(
      found => live && (setData(found), setError(null)),
      reason => live && setError(asError(reason).message)
    );
    return () => {
      live = false;
    };
  }, [name, version]);

  const headingId = `jp-nbtools-dataset-${name}`;
  return (
    <article className="jp-nbtools-JobPage jp-nbtools-DatasetPage" aria-labelledby={headingId}>
      <h1 id={headingId}>{trans.__('Dataset %1', name)}</h1>
      {error && (
        <p role="alert" className="jp-nbtools-Error">
          {trans.__('Could not load the dataset: %1', error)}
        </p>
      )}
      {data === null ? (
        !error && <p role="status">{trans.__('Loading the dataset…')}</p>
      ) : (
        <>
          {data.dataset === null ? (
            <p className="jp-nbtools-Error">
              {trans.__(
                '%1 is not in the catalog (any more); what was derived from it is listed below.',
                name
              )}
            </p>
          ) : (
            <>
              <section aria-label={trans.__('About')}>
                <h2>{trans.__('About')}</h2>
                <Facts dataset={data.dataset} trans={trans} />
              </section>
              <section aria-label={trans.__('Schema')}>
                <h2>{trans.__('Schema')}</h2>
                <Schema dataset={data.dataset} trans={trans} />
              </section>
            </>
          )}
          <section aria-label={trans.__('Usage')}>
            <h2>{trans.__('Usage')}</h2>
            <Usage usage={data.usage} links={links} trans={trans} />
          </section>
        </>
      )}
    </article>
  );
}

/**
 * A dataset's page in the main area: what it is (location, description,
 * classification, allowed purposes, retention, owner, tags), its schema, and
 * what uses it (notebooks, jobs, runs, packages, versions), each a link.
 */
export class DatasetPage extends ReactWidget {
  constructor(
    readonly datasetName: string,
    private readonly _links: IDatasetLinks,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-nbtools-DatasetPageWidget');
  }

  /** Load the dataset and its usage again. */
  reload(): void {
    this._version += 1;
    this.update();
  }

  protected render(): React.ReactElement {
    return (
      <DatasetPageContent
        name={this.datasetName}
        version={this._version}
        links={this._links}
        trans={this._trans}
      />
    );
  }

  private _version = 0;
}
