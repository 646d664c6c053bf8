import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/apiClient.js';
import { pushPack } from '../../src/cli/packPush.js';
import { PackStatus, Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { buildMiniPack } from '../../services/worker/src/pack/builtin/index.js';
import { packageRoot } from '../../src/core/paths.js';
import { webAppDir } from '../../src/server/webApp.js';
import { chromiumPath, launchBrowser, type Browser } from '../support/browser.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

/** Screenshots of the main pages, kept for people to look at (gitignored). */
const artifacts = join(packageRoot, 'test-artifacts', 'dashboard');

let t: TestPlatform;
let browser: Browser;
let origin: string;
let pack: { id: string; digest: string };

beforeAll(async () => {
  expect(existsSync(join(webAppDir, 'index.html')), 'the dashboard is built (npm run build:web)').toBe(true);
  expect(existsSync(chromiumPath), `${chromiumPath} is installed (apt-get install chromium; .ci/run does)`).toBe(true);
  await mkdir(artifacts, { recursive: true });
  t = await startTestPlatform({ api: true, worker: true });
  origin = new URL(t.url).origin;
  pack = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function signIn(role: Role): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.getByLabel('API key').fill(t.keys[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page
    .getByTestId('who')
    .getByText(role)
    .waitFor()
    .catch(async (error: Error) => {
      await shot(page, `sign-in-failed-${role}`);
      throw new Error(
        `${error.message}\nproblems: ${browser.problems.join('\n')}\npage: ${await page.locator('body').innerText()}`,
      );
    });
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const points = async (page: Page) => Number(await page.getByTestId('chart-prop_ict').getAttribute('data-points'));

async function startRunFromForm(page: Page, numIdentities: number, iterations: number): Promise<string> {
  await page.goto(`${origin}/runs`);
  await page.getByRole('link', { name: 'Start a Langevin run' }).click();
  await page.getByLabel('Identities N').fill(String(numIdentities));
  await page.getByLabel('Iterations').fill(String(iterations));
  await page.getByLabel(/^Seed/).fill('7');
  await page.getByText('Method settings').click();
  await page.getByLabel('Batch size').fill('8');
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}

/** An <img> as seen inside the page (these functions run in the browser, not here). */
type Img = { complete: boolean; naturalWidth: number };

/** Starts 2 variations × 3 iterations of each identity of the first run from its page; returns the new run once its 24 samples show. */
async function startVariations(page: Page, kind: 'DISPERSION' | 'DISCO', method: string): Promise<string> {
  await page.goto(`${origin}/runs/${firstRun}`);
  const form = page.getByTestId('variations-form');
  await form.getByLabel('Method').selectOption({ label: method });
  await form.getByLabel('Variations per identity').fill('2');
  await form.getByLabel(/^Variation iterations/).fill('3');
  await form.getByLabel(/^Variation seed/).fill('5');
  await form.getByRole('button', { name: 'Start variations' }).click();
  await page.waitForURL((url) => /\/runs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(firstRun));
  const runId = page.url().split('/').pop()!;
  // The parent in the lineage is SUCCEEDED already: wait on the badge in this run's heading.
  await page.getByRole('heading', { name: new RegExp(`${kind} run \\S+ SUCCEEDED`) }).waitFor({ timeout: 240_000 });
  const samples = page.getByTestId('sample-grid').locator('img');
  await samples
    .first()
    .waitFor({ timeout: 60_000 })
    .catch(async (error: Error) => {
      await shot(page, `${kind.toLowerCase()}-run-failed`);
      throw new Error(
        `${error.message}\nproblems: ${browser.problems.join('\n')}\npage: ${await page.locator('main').innerText()}`,
      );
    });
  expect(await samples.count()).toBe(24);
  await waitFor(
    () =>
      samples.evaluateAll((all) =>
        all.every((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth > 0),
      ),
    60_000,
    'sample images to load',
  );
  await page
    .getByTestId('run-lineage')
    .getByRole('link', { name: new RegExp(firstRun.slice(0, 8)) })
    .waitFor();
  return runId;
}

/** The built-in pack under another name (so another digest), pushed in the background: it settles when a worker checks it. */
async function pushRenamedPack(name: string): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-mini-'));
  await buildMiniPack(dir);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { name: string };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, name }));
  const client = new ApiClient(t.url, t.keys[Role.OPERATOR]);
  return pushPack(client, dir).finally(() => client.close());
}

const runStatus = async (id: string) =>
  (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } })).status;

let firstRun: string;
let dispersionRun: string;

describe('the dashboard in a real browser', { timeout: 360_000 }, () => {
  it('signs in, starts a Langevin run on the built-in pack and draws its charts as it iterates', async () => {
    const page = await signIn(Role.OPERATOR);
    await shot(page, 'runs-empty');
    firstRun = await startRunFromForm(page, 12, 40);
    // The chart grows from live runProgress events, without a reload.
    const early = await waitFor(
      async () => (await points(page).catch(() => 0)) >= 2 && points(page),
      120_000,
      'first points',
    );
    const later = await waitFor(
      async () => {
        const now = await points(page);
        return now > early && (await runStatus(firstRun)) === RunStatus.RUNNING && now;
      },
      120_000,
      'the chart to gain points while the run iterates',
    );
    expect(later).toBeGreaterThan(early);
    await shot(page, 'run-live');
    await page.getByText(RunStatus.SUCCEEDED).first().waitFor({ timeout: 180_000 });
    expect(await points(page)).toBe(41);
    await page.getByTestId('identity-grid').locator('img').first().waitFor();
    const images = page.getByTestId('identity-grid').locator('img');
    expect(await images.count()).toBe(12);
    await waitFor(
      () =>
        images.evaluateAll((all) =>
          all.every((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth > 0),
        ),
      60_000,
      'identity images to load',
    );
    await shot(page, 'run-succeeded');
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it('cancels a second run as an operator, while a viewer sees no cancel button, no forms and no galleries', async () => {
    const operator = await signIn(Role.OPERATOR);
    const secondRun = await startRunFromForm(operator, 12, 5000);
    await waitFor(async () => (await runStatus(secondRun)) === RunStatus.RUNNING, 120_000, 'the second run to start');
    const cancel = operator.getByRole('button', { name: 'Cancel run' });
    await cancel.waitFor();
    // Operators run things but never see galleries or audits.
    for (const link of ['Galleries', 'Audits']) {
      await expect(operator.getByRole('link', { name: link }).count()).resolves.toBe(0);
    }

    // The one worker slot is busy with the second run, so a pack pushed now stays PENDING until it is cancelled.
    const pushed = pushRenamedPack('mini-renamed');
    const pending = await waitFor(
      () => t.platform.database.prisma.modelPack.findFirst({ where: { name: 'mini-renamed' } }),
      120_000,
      'the renamed pack to be registered',
    );
    expect(pending.status).toBe(PackStatus.PENDING);

    const viewer = await signIn(Role.VIEWER);
    for (const link of ['Galleries', 'Audits']) {
      await expect(viewer.getByRole('link', { name: link }).count()).resolves.toBe(0);
    }
    await expect(viewer.getByRole('link', { name: 'Start a Langevin run' }).count()).resolves.toBe(0);
    await viewer.goto(`${origin}/runs/${secondRun}`);
    await viewer.getByTestId('iteration').waitFor();
    await viewer.getByText(RunStatus.RUNNING).first().waitFor();
    expect(await viewer.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await shot(viewer, 'run-as-viewer');
    await viewer.goto(`${origin}/runs/${firstRun}`);
    await viewer.getByTestId('identity-grid').waitFor();
    expect(await viewer.getByTestId('variations-form').count()).toBe(0);
    await viewer.goto(`${origin}/galleries`);
    await viewer.getByText("Your key's role may not open this page.").waitFor();
    await viewer.goto(`${origin}/audits`);
    await viewer.getByText("Your key's role may not open this page.").waitFor();
    await viewer.getByRole('link', { name: 'Datasets' }).click();
    await viewer.getByText('No dataset yet.').waitFor();
    expect(await viewer.getByTestId('new-dataset').count()).toBe(0);

    // The packs page follows the PENDING pack over modelPackStatus: it turns READY once the worker is free.
    await viewer.getByRole('link', { name: 'Model packs' }).click();
    const pendingRow = viewer.locator(`tr[data-pack-id="${pending.id}"]`);
    await pendingRow.getByText('PENDING').waitFor();
    await shot(viewer, 'model-packs-pending');

    await cancel.click();
    await operator.getByText(RunStatus.CANCELLED).first().waitFor({ timeout: 120_000 });
    expect(await runStatus(secondRun)).toBe(RunStatus.CANCELLED);
    await pendingRow.getByText('READY').waitFor({ timeout: 180_000 });
    await pushed;
    await shot(viewer, 'model-packs');

    await viewer.getByRole('link', { name: 'Runs' }).click();
    await viewer.locator(`tr[data-run-id="${secondRun}"]`).getByText(RunStatus.CANCELLED).waitFor();
    // Sorting is the server's: ascending iterations put the 40-iteration run first, descending the 5000-iteration one.
    const firstRow = viewer.getByTestId('runs-table').locator('tbody tr').first();
    await viewer.locator('button[data-sort="ITERATIONS"]').click();
    await waitFor(async () => (await firstRow.getAttribute('data-run-id')) === firstRun, 30_000, 'ascending order');
    await viewer.locator('button[data-sort="ITERATIONS"]').click();
    await waitFor(async () => (await firstRow.getAttribute('data-run-id')) === secondRun, 30_000, 'descending order');
    await shot(viewer, 'runs');
    expect(browser.problems).toEqual([]);
    await Promise.all([operator.close(), viewer.close()]);
  });

  it("opens an identity's page with its nearest identities and its lineage", async () => {
    const page = await signIn(Role.VIEWER);
    await page.goto(`${origin}/runs/${firstRun}`);
    await page.getByTestId('identity-grid').locator('a').nth(3).click();
    await page.waitForURL(/\/identities\//);
    const lineage = page.getByTestId('identity-lineage');
    await lineage.getByText('produced by run').waitFor();
    await expect(lineage.getByRole('link', { name: new RegExp(firstRun.slice(0, 8)) }).count()).resolves.toBe(1);
    expect(await lineage.getByText(pack.digest.slice(0, 12)).count()).toBe(1);
    await page.getByTestId('nearest').locator('img').first().waitFor();
    expect(await page.getByTestId('nearest').locator('img').count()).toBe(8);
    await page.getByText('No Dispersion or DisCo run has varied this identity yet.').waitFor();
    await waitFor(
      () =>
        page
          .getByTestId('identity-image')
          .evaluate((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth > 0),
      60_000,
      'the identity image to load',
    );
    await shot(page, 'identity');
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it("starts Dispersion and DisCo runs from a Langevin run's page and shows the variations on an identity's page", async () => {
    const page = await signIn(Role.OPERATOR);
    dispersionRun = await startVariations(page, 'DISPERSION', 'Dispersion');
    await shot(page, 'dispersion-run');
    const identityUrl = await page.getByTestId('sample-grid').locator('a').first().getAttribute('href');
    await page.getByTestId('sample-grid').locator('a').first().click();
    await page.waitForURL(/\/identities\//);
    const variations = page.getByTestId('variations');
    await variations.locator('img').first().waitFor();
    expect(await variations.locator('img').count()).toBe(2);
    expect(await variations.getByText('DISPERSION v1').count()).toBe(1);

    await startVariations(page, 'DISCO', 'DisCo (pack covariates)');
    await page.goto(`${origin}${identityUrl}`);
    await variations.getByText('DISCO v1').waitFor();
    expect(await variations.locator('img').count()).toBe(4);
    await waitFor(
      () =>
        variations
          .locator('img')
          .evaluateAll((all) =>
            all.every((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth > 0),
          ),
      60_000,
      'variation images to load',
    );
    await shot(page, 'identity-variations');
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it('freezes the Dispersion run into a dataset, exports it with progress and downloads the tar', async () => {
    const page = await signIn(Role.OPERATOR);
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByTestId('new-dataset').getByText('New dataset').click();
    await page.getByLabel('Dataset name').fill('dashboard set');
    await page.getByRole('checkbox', { name: new RegExp(dispersionRun.slice(0, 8)) }).check();
    await page.getByRole('button', { name: 'Create dataset' }).click();
    const dataset = page.getByTestId('dataset').filter({ hasText: 'dashboard set' });
    await dataset.getByText('12 identities, 24 samples').waitFor();
    await dataset.getByLabel('Format').selectOption('IMAGE_FOLDER');
    await dataset.getByLabel('Content').selectOption('BOTH');
    await dataset.getByLabel('Crop').selectOption('FULL');
    await dataset.getByRole('button', { name: 'Export' }).click();
    const row = dataset.getByTestId('exports-table').locator('tbody tr[data-export-id]');
    await row.first().waitFor();
    const exportId = (await row.first().getAttribute('data-export-id'))!;
    const download = row.first().getByRole('link', { name: 'download .tar' });
    await download.waitFor({ timeout: 180_000 });
    await row.first().getByText('36/36').waitFor();
    await shot(page, 'datasets');
    const stored = await t.platform.database.prisma.datasetExport.findUniqueOrThrow({ where: { id: exportId } });
    const tar = Buffer.from(await (await fetch((await download.getAttribute('href'))!)).arrayBuffer());
    expect(createHash('sha256').update(tar).digest('hex')).toBe(stored.sha256);
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it('lets an auditor make a gallery from an upload, audit a run against it and rerun it with the gallery excluded', async () => {
    // The gallery is the first run's own identity embeddings: every identity matches itself, so all twelve are flagged.
    const identities = await t.platform.database.prisma.identity.findMany({
      where: { runId: firstRun },
      orderBy: { index: 'asc' },
    });
    const embeddings = Buffer.concat(identities.map((identity) => Buffer.from(identity.embedding)));
    const page = await signIn(Role.AUDITOR);
    await page.getByRole('link', { name: 'Galleries' }).click();
    await page.getByTestId('new-gallery').getByText('New gallery').click();
    await page.getByLabel('Gallery name').fill('first run');
    await page
      .getByLabel(/^Embeddings/)
      .setInputFiles({ name: 'first-run.f32', mimeType: 'application/octet-stream', buffer: embeddings });
    await page.getByLabel(/^Embedding dimension/).fill(String(embeddings.length / 48));
    await page.getByLabel(/^Embedding count/).fill('12');
    await page.getByLabel('Recognizer of the pack').selectOption(pack.id);
    await page.getByRole('button', { name: 'Create gallery' }).click();
    const gallery = page.getByTestId('galleries-table').locator('tr', { hasText: 'first run' });
    await gallery.getByText('READY').waitFor({ timeout: 120_000 });
    await shot(page, 'galleries');

    await page.getByRole('link', { name: 'Audits' }).click();
    await page.getByTestId('new-audit').getByText('New audit').click();
    await page.locator('select[name=gallery]').selectOption({ label: 'first run (12 rows)' });
    await page.getByRole('checkbox', { name: new RegExp(firstRun.slice(0, 8)) }).check();
    await page.getByLabel('Threshold given as').selectOption('cosine');
    await page.locator('input[name=threshold]').fill('0.99');
    await page.getByRole('button', { name: 'Start audit' }).click();
    await page.waitForURL(/\/audits\/[0-9a-f-]{36}$/);
    const auditId = page.url().split('/').pop()!;
    await page.getByTestId('audit-summary').getByText('12 of 12').waitFor({ timeout: 120_000 });
    await page.getByTestId('audit-histogram').locator('canvas').waitFor();
    const pairs = page.getByTestId('flagged-pairs').locator('img');
    await pairs.first().waitFor();
    expect(await pairs.count()).toBe(12);
    await waitFor(
      () =>
        pairs.evaluateAll((all) =>
          all.every((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth > 0),
        ),
      60_000,
      'flagged synthetic images to load',
    );
    await shot(page, 'audit');

    const rerun = page.getByTestId('rerun-with-exclusion');
    await rerun.getByLabel(/^Exclusion distance/).fill('0.5');
    await rerun.getByRole('button', { name: 'Rerun excluding the gallery' }).click();
    const result = page.getByTestId('rerun-result');
    await result.waitFor();
    const links = await result.getByRole('link').evaluateAll((all) => all.map((a) => a.getAttribute('href')));
    const rerunId = links[0]!.split('/').pop()!;
    const run = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: rerunId } });
    expect(run.sourceAuditId).toBe(auditId);
    expect(run.parentRunId).toBe(firstRun);
    expect(run.exclusionGalleryId).not.toBeNull();
    await result.getByRole('link').first().click();
    await page
      .getByTestId('run-lineage')
      .getByRole('link', { name: new RegExp(firstRun.slice(0, 8)) })
      .waitFor();
    await shot(page, 'rerun');
    // Auditors audit, but neither cancel runs nor start them, variations or datasets.
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await page.goto(`${origin}/runs/${firstRun}`);
    await page.getByTestId('identity-grid').waitFor();
    expect(await page.getByTestId('variations-form').count()).toBe(0);
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.locator(`tr[data-run-id="${firstRun}"]`).waitFor();
    expect(await page.getByRole('link', { name: 'Start a Langevin run' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByTestId('dataset').first().waitFor();
    expect(await page.getByTestId('new-dataset').count()).toBe(0);
    expect(await page.getByTestId('new-export').count()).toBe(0);
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it('runs a query in the bundled explorer with no network beyond the API and the object store', async () => {
    const page = await signIn(Role.AUDITOR);
    await page.getByRole('link', { name: 'Explorer' }).click();
    await page.locator('.graphiql-container').waitFor();
    // The run button does nothing until GraphiQL's editor has loaded its workers and the schema: press it until a result shows.
    const result = page.locator('.graphiql-response').getByText('totalCount');
    await waitFor(
      async () => {
        await page.locator('.graphiql-execute-button').click();
        return result.waitFor({ timeout: 3000 }).then(
          () => true,
          () => false,
        );
      },
      90_000,
      'a result in the explorer',
    );
    await shot(page, 'explorer');
    expect(browser.problems).toEqual([]);
    const s3 = new URL(t.env.S3_ENDPOINT!).origin;
    expect(browser.requestedOrigins().filter((o) => o !== origin && o !== s3)).toEqual([]);
    await page.close();
  });
});
