import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations
} from './helpers';
import { sharePage, test } from './fixtures';

const NOTEBOOK = 'plots.ipynb';

/** A 16×16 PNG of one colour (`rgb`: three bytes as hex), base64. */
function png(rgb: string): string {
  // Built by hand: signature, IHDR, one IDAT with a stored (uncompressed) deflate block, IEND.
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return c >>> 0;
  });
  const crc = (bytes: number[]): number =>
    (bytes.reduce((c, b) => crcTable[(c ^ b) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;
  const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const chunk = (type: string, data: number[]): number[] => {
    const body = [...type].map(ch => ch.charCodeAt(0)).concat(data);
    return [...u32(data.length), ...body, ...u32(crc(body))];
  };
  const colour = [0, 2, 4].map(at => parseInt(rgb.slice(at, at + 2), 16));
  const row = [0, ...Array.from({ length: 16 }, () => colour).flat()];
  const raw = Array.from({ length: 16 }, () => row).flat();
  let a = 1;
  let b = 0;
  for (const byte of raw) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  const length = [raw.length & 255, raw.length >>> 8];
  const zlib = [
    0x78,
    0x01,
    1,
    ...length,
    ...length.map(n => ~n & 255),
    ...raw,
    ...u32((b << 16) | a)
  ];
  const bytes = [
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', [...u32(16), ...u32(16), 8, 2, 0, 0, 0]),
    ...chunk('IDAT', zlib),
    ...chunk('IEND', [])
  ];
  return Buffer.from(bytes).toString('base64');
}

function plotNotebook(source: string, colour: string): string {
  const plot = {
    ...codeCell('plot', source),
    execution_count: 1,
    outputs: [
      {
        output_type: 'display_data',
        data: { 'image/png': png(colour), 'text/plain': '<Figure>' },
        metadata: {}
      }
    ]
  };
  return notebookJson([codeCell('setup', 'colour = "red"'), plot]);
}

/** Save the notebook through the contents API: each save records a version. */
async function saveVersion(
  page: IJupyterLabPageFixture,
  path: string,
  content: string
): Promise<void> {
  const saved = await page.request.put(`/api/contents/${path}`, {
    data: { type: 'notebook', format: 'json', content: JSON.parse(content) }
  });
  expect(saved.ok()).toBe(true);
}

test.describe('Version diff in the main area', () => {
  const lab = sharePage();

  test.beforeEach(async ({ tmpPath }) => {
    const page = lab();
    const path = `${tmpPath}/${NOTEBOOK}`;
    await saveVersion(page, path, plotNotebook('plot(colour)', 'ff0000'));
    await saveVersion(page, path, plotNotebook('plot(colour)\nlegend()', '0000ff'));
    await openNotebook(page, path);
  });

  test('the palette command opens it, with images, side by side or unified', async ({
    tmpPath
  }, testInfo) => {
    const page = lab();
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('nbtools:compare-previous-version');
    });
    const tab = page.getByRole('main').locator('.jp-nbtools-DiffPage');
    await expect(tab).toBeVisible();
    await expect(
      page.getByRole('tab', { name: new RegExp(`Diff: ${tmpPath}/${NOTEBOOK}`) })
    ).toBeVisible();
    await expect(tab.getByTestId('nbtools-diff-summary')).toHaveText(
      'Cells: 1 modified, 1 unchanged'
    );

    // Side by side (the default): the old line beside the new one, and both images.
    const split = tab.getByRole('table', { name: 'Source, side by side' });
    await expect(split.getByRole('cell', { name: 'added: legend()' })).toBeVisible();
    await expect(tab.getByRole('img', { name: 'Before of output 1 (image/png)' })).toBeVisible();
    await expect(tab.getByRole('img', { name: 'After of output 1 (image/png)' })).toBeVisible();
    const background = (of: Locator): Promise<string> =>
      of.evaluate(element => getComputedStyle(element).backgroundColor);
    const splitAdded = split.getByRole('cell', { name: 'added: legend()' });

    // Unified: one column of lines.
    await tab.getByRole('button', { name: 'Unified' }).click();
    await expect(tab.getByRole('button', { name: 'Unified' })).toHaveAttribute(
      'aria-pressed',
      'true'
    );
    const source = tab.getByRole('list', { name: 'Source' });
    const unifiedAdded = source.getByRole('listitem', { name: 'added: legend()' });
    await expect(unifiedAdded).toBeVisible();
    await expect(split).toHaveCount(0);

    // The keyboard reaches each changed cell from the list of changes.
    await tab
      .getByRole('navigation', { name: 'Changed cells' })
      .getByRole('button')
      .first()
      .press('Enter');
    await expect(tab.getByRole('article', { name: 'Cell 2 (code) modified' })).toBeFocused();

    // Added lines are coloured by the theme (its success colour), in either view.
    const light: Record<string, string> = {};
    await inEachTheme(page, async theme => {
      for (const [view, added] of [
        ['Unified', unifiedAdded],
        ['Side by side', splitAdded]
      ] as const) {
        await tab.getByRole('button', { name: view }).click();
        if (theme === 'light') {
          light[view] = await background(added);
        } else {
          await expect.poll(() => background(added)).not.toBe(light[view]);
        }
        expect(await violations(page, testInfo, '.jp-nbtools-DiffPage')).toEqual([]);
      }
      await attachScreenshot(page, testInfo, `diff-split-${theme}`);
    });
  });

  test('the Versions section opens the selected version’s diff in a tab', async () => {
    const page = lab();
    const panel = await openSection(page, NOTEBOOK, 'Versions');
    await panel.getByRole('button', { name: 'Version 2', exact: true }).click();
    await panel.getByRole('button', { name: 'Show diff', exact: true }).click();
    const tab = page.getByRole('main').locator('.jp-nbtools-DiffPage');
    await expect(tab.getByRole('heading', { level: 2 })).toContainText('version 1');
    await expect(tab.getByRole('img', { name: 'After of output 1 (image/png)' })).toBeVisible();
  });
});
