import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { acknowledgeAlert, asError, getJobMetrics, listAlerts } from '../api';
import type { Alert, MetricSeries, SeriesRun } from '../api';
import { AlertList } from './alerts';
import { MetricChart } from './metricChart';
import type { ChartRun } from './metricChart';
import { NotificationsEditor } from './notificationsEditor';
import { Refused } from './loadError';
import { Reloader } from './reloader';
import { RulesEditor } from './rulesEditor';

/** How often an expanded job's alerts and charts are fetched again. */
const POLL_MS = 3000;
/** Runs shown on the charts. */
const CHART_RUNS = 50;

/** Tooltip lines of a run: parameters, notebook version, duration. */
function runDetails(run: SeriesRun, trans: TranslationBundle): string[] {
  const lines: string[] = [];
  if (Object.keys(run.parameters).length > 0) {
    lines.push(trans.__('Parameters: %1', JSON.stringify(run.parameters)));
  }
  if (run.notebook_version_id !== null) {
    lines.push(trans.__('Notebook version: %1', run.notebook_version_id));
  } else if (run.notebook_sha256) {
    lines.push(trans.__('Notebook: sha256 %1', run.notebook_sha256.slice(0, 12)));
  }
  if (run.duration_seconds !== null) {
    lines.push(trans.__('Duration: %1 s', run.duration_seconds.toFixed(1)));
  }
  return lines;
}

interface IChartData {
  name: string;
  unit: string | null;
  runs: ChartRun[];
}

/**
 * One chart per numeric metric (a value per run; runs without one stay
 * empty), then the run durations.
 */
export function chartsOf(page: MetricSeries, trans: TranslationBundle): IChartData[] {
  const charts: IChartData[] = [];
  for (const [name, points] of Object.entries(page.series)) {
    const byRun = new Map(points.map(point => [point.run_id, point]));
    if (!points.some(point => typeof point.value === 'number')) {
      continue;
    }
    charts.push({
      name,
      unit: points.find(point => point.unit)?.unit ?? null,
      runs: page.runs.map(run => {
        const value = byRun.get(run.id)?.value;
        return {
          runId: run.id,
          status: run.status,
          value: typeof value === 'number' ? value : null,
          details: runDetails(run, trans)
        };
      })
    });
  }
  charts.push({
    name: trans.__('Duration'),
    unit: 's',
    runs: page.runs.map(run => ({
      runId: run.id,
      status: run.status,
      value: run.duration_seconds,
      details: runDetails(run, trans)
    }))
  });
  return charts;
}

interface IJobMonitoringProps {
  jobId: number;
  jobName: string;
  /** The job's open alerts, as the Jobs section last read them (the collapsed badge). */
  openAlerts: number;
  /**
   * Whether the section can be seen (stable): an expanded job fetches its alerts and charts
   * again only then.
   */
  seen: () => boolean;
  /** After an alert is acknowledged: the section reads the counts again. */
  onChange: () => void;
  trans: TranslationBundle;
}

/**
 * Monitoring of one job in the Jobs section: a badge with its open alerts,
 * and (expanded) the alerts, metric and duration charts, rules and
 * notification targets. Collapsed, it asks the server nothing: the section
 * reads every job's open-alert count in one request.
 */
export function JobMonitoring({
  jobId,
  jobName,
  openAlerts,
  seen,
  onChange,
  trans
}: IJobMonitoringProps): React.ReactElement {
  const [expanded, setExpanded] = React.useState(false);
  const [alerts, setAlerts] = React.useState<Alert[] | null>(null);
  const [page, setPage] = React.useState<MetricSeries | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  /** The action the server refused the user (403): the section stops asking until Retry. */
  const [refused, setRefused] = React.useState<string | null>(null);
  const [version, setVersion] = React.useState(0);

  React.useEffect(() => {
    if (!expanded) {
      return;
    }
    let live = true;
    const loads = new Reloader(async () => {
      try {
        const [open, metrics] = await Promise.all([
          listAlerts({ job: jobId, status: 'open' }),
          getJobMetrics(jobId, { limit: CHART_RUNS })
        ]);
        if (live) {
          setAlerts(open);
          setPage(metrics);
          setError(null);
          setRefused(null);
        }
      } catch (reason) {
        const action = loads.hold(reason);
        if (live) {
          setError(asError(reason).message);
          setRefused(action);
        }
      }
    });
    loads.poll();
    const timer = window.setInterval(() => seen() && loads.poll(), POLL_MS);
    return () => {
      live = false;
      loads.stop();
      window.clearInterval(timer);
    };
  }, [jobId, expanded, seen, version]);

  const acknowledge = async (alertId: number) => {
    try {
      await acknowledgeAlert(alertId);
    } catch (reason) {
      setError(asError(reason).message);
    }
    setVersion(v => v + 1);
    onChange();
  };
  const open = alerts?.length ?? openAlerts;

  const label = trans.__('Monitoring of %1', jobName);
  return (
    <section className="jp-nbtools-JobMonitoring" aria-label={label}>
      <div className="jp-nbtools-JobMonitoring-summary">
        {open > 0 && (
          <span
            className="jp-nbtools-AlertBadge"
            role="status"
            aria-label={trans._n('%1 open alert', '%1 open alerts', open)}
          >
            {open}
          </span>
        )}
        <Button
          type="button"
          small
          minimal
          aria-expanded={expanded}
          onClick={() => {
            // Collapsed, the badge is the section's count; opened again, all is read afresh.
            setAlerts(null);
            setPage(null);
            setExpanded(!expanded);
          }}
        >
          {expanded ? trans.__('Hide metrics and alerts') : trans.__('Metrics and alerts')}
        </Button>
      </div>
      {expanded && refused !== null && (
        <Refused
          action={refused}
          message={error ?? ''}
          onRetry={() => setVersion(v => v + 1)}
          trans={trans}
        />
      )}
      {expanded && refused === null && (
        <div className="jp-nbtools-JobMonitoring-body">
          <AlertList
            state={alerts === null ? { kind: 'loading' } : { kind: 'ready', alerts }}
            actionError={error}
            onAcknowledge={id => void acknowledge(id)}
            onRetry={() => setVersion(v => v + 1)}
            trans={trans}
          />
          {page === null ? (
            <p className="jp-nbtools-muted">{trans.__('Loading metrics…')}</p>
          ) : page.runs.length === 0 ? (
            <p className="jp-nbtools-muted">{trans.__('No finished runs with metrics yet.')}</p>
          ) : (
            chartsOf(page, trans).map(chart => (
              <MetricChart
                key={chart.name}
                title={chart.name}
                unit={chart.unit}
                runs={chart.runs}
                trans={trans}
              />
            ))
          )}
          <h4 className="jp-nbtools-JobMonitoring-heading">{trans.__('Alert rules')}</h4>
          <RulesEditor
            jobId={jobId}
            latestRunId={page?.run_ids[page.run_ids.length - 1] ?? null}
            trans={trans}
          />
          <h4 className="jp-nbtools-JobMonitoring-heading">{trans.__('Notifications')}</h4>
          <NotificationsEditor jobId={jobId} trans={trans} />
        </div>
      )}
    </section>
  );
}
