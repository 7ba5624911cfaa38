import type { TranslationBundle } from '@jupyterlab/translation';
import {
  CategoryScale,
  Chart,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip
} from 'chart.js';
import type { ChartConfiguration, PointStyle, TooltipItem } from 'chart.js';
import * as React from 'react';

Chart.register(CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip);

/**
 * One run on a chart: its value (null when it recorded none) and what the
 * tooltip says about it.
 */
export interface ChartRun {
  runId: number;
  status: string;
  value: number | null;
  /** Extra tooltip lines: parameters, notebook version, ... */
  details: string[];
}

/** Statuses drawn as failures. */
const FAILED = new Set(['failed', 'timed_out']);

interface IThemeColors {
  line: string;
  failed: string;
  text: string;
  grid: string;
}

/** Colors of the current JupyterLab theme (light or dark). */
function themeColors(): IThemeColors {
  const style = getComputedStyle(document.body);
  const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    line: get('--jp-brand-color1', '#1976d2'),
    failed: get('--jp-error-color1', '#d32f2f'),
    text: get('--jp-ui-font-color1', '#000'),
    grid: get('--jp-border-color2', '#ddd')
  };
}

/**
 * A counter that changes when JupyterLab switches theme (it sets
 * `data-jp-theme-name` on the body), so charts redraw with the new colors.
 */
function useThemeVersion(): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const observer = new MutationObserver(() => setVersion(v => v + 1));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return version;
}

function chartConfig(
  title: string,
  unit: string | null,
  runs: ChartRun[],
  trans: TranslationBundle
): ChartConfiguration<'line', (number | null)[], string> {
  const colors = themeColors();
  const values = runs.map(run => run.value).filter((v): v is number => v !== null);
  const floor = values.length ? Math.min(...values) : 0;
  const failed = runs.map(run => FAILED.has(run.status));
  const withUnit = (value: number) => (unit ? `${value} ${unit}` : String(value));
  return {
    type: 'line',
    data: {
      labels: runs.map(run => `#${run.runId}`),
      datasets: [
        {
          label: title,
          data: runs.map(run => run.value),
          borderColor: colors.line,
          backgroundColor: colors.line,
          spanGaps: true,
          pointRadius: runs.map((_, i) => (failed[i] ? 6 : 3)),
          pointStyle: runs.map((_, i): PointStyle => (failed[i] ? 'crossRot' : 'circle')),
          pointBorderColor: runs.map((_, i) => (failed[i] ? colors.failed : colors.line)),
          pointBorderWidth: runs.map((_, i) => (failed[i] ? 2 : 1))
        },
        {
          // Failed runs that recorded no value, marked at the bottom of the chart.
          label: trans.__('Failed runs'),
          data: runs.map((run, i) => (failed[i] && run.value === null ? floor : null)),
          showLine: false,
          pointStyle: 'crossRot',
          pointRadius: 6,
          pointBorderWidth: 2,
          borderColor: colors.failed,
          backgroundColor: colors.failed
        }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      scales: {
        x: { ticks: { color: colors.text }, grid: { color: colors.grid } },
        y: { ticks: { color: colors.text }, grid: { color: colors.grid } }
      },
      plugins: {
        tooltip: {
          filter: (item: TooltipItem<'line'>) => item.raw !== null,
          callbacks: {
            title: items => {
              const run = runs[items[0].dataIndex];
              return trans.__('Run %1 (%2)', run.runId, run.status.replace('_', ' '));
            },
            label: item => {
              const run = runs[item.dataIndex];
              return run.value === null ? trans.__('no value') : `${title}: ${withUnit(run.value)}`;
            },
            afterBody: items => runs[items[0].dataIndex].details
          }
        }
      }
    }
  };
}

interface IMetricChartProps {
  /** Metric name (or "Duration"). */
  title: string;
  unit: string | null;
  runs: ChartRun[];
  trans: TranslationBundle;
}

/**
 * A metric over a job's runs (Chart.js on a canvas), with failed runs marked
 * and a hover tooltip per run; the same points as a table for screen readers.
 */
export function MetricChart({ title, unit, runs, trans }: IMetricChartProps): React.ReactElement {
  const canvas = React.useRef<HTMLCanvasElement>(null);
  const theme = useThemeVersion();
  React.useEffect(() => {
    if (!canvas.current) {
      return;
    }
    const chart = new Chart(canvas.current, chartConfig(title, unit, runs, trans));
    return () => chart.destroy();
  }, [title, unit, runs, theme, trans]);

  const label = trans._n('%2 over %1 run', '%2 over %1 runs', runs.length, title);
  return (
    <figure className="jp-nbtools-Chart" aria-label={label}>
      <figcaption className="jp-nbtools-Chart-title">
        {title}
        {unit ? ` (${unit})` : ''}
      </figcaption>
      <div className="jp-nbtools-Chart-canvas">
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      {/* hidden in a box of its own: a table is never narrower than its cells, so the
          1 px box of the class, set on the table itself, widened the section to the
          table's width (a sideways scroll in the 250 px sidebar) */}
      <div className="jp-nbtools-visuallyHidden">
        <table aria-label={label}>
          <thead>
            <tr>
              <th scope="col">{trans.__('Run')}</th>
              <th scope="col">{trans.__('Status')}</th>
              <th scope="col">{title}</th>
            </tr>
          </thead>
          <tbody>
            {runs.map(run => (
              <tr key={run.runId}>
                <td>{run.runId}</td>
                <td>{run.status}</td>
                <td>{run.value === null ? '' : run.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
