import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { packageRoot } from '../../src/core/paths.js';
import { webAppDir } from '../../src/server/webApp.js';
import { chromiumPath, launchBrowser, type Browser } from '../support/browser.js';
import { graphql } from '../support/graphqlClient.js';
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

/**
 * A gallery made of the first run's own identity embeddings, and an audit of that run against it:
 * every identity matches itself, so all twelve are flagged.
 */
async function auditFirstRunAgainstItself(): Promise<string> {
  const auditor = t.keys[Role.AUDITOR];
  const identities = await t.platform.database.prisma.identity.findMany({
    where: { runId: firstRun },
    orderBy: { index: 'asc' },
  });
  const embeddings = Buffer.concat(identities.map((identity) => Buffer.from(identity.embedding)));
  const upload = await graphql(t.url, auditor, 'mutation { createUploadUrl(fileName: "gallery.f32") { key url } }');
  expect((await fetch(upload.data!.createUploadUrl.url, { method: 'PUT', body: embeddings })).status).toBe(200);
  const gallery = await graphql(
    t.url,
    auditor,
    'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
    {
      input: {
        name: 'first run',
        embeddingsKey: upload.data!.createUploadUrl.key,
        count: 12,
        embeddingDim: embeddings.length / 48,
        modelPackId: pack.id,
      },
    },
  );
  const galleryId = gallery.data!.createGallery.id as string;
  await waitFor(
    async () =>
      (await t.platform.database.prisma.gallery.findUniqueOrThrow({ where: { id: galleryId } })).status === 'READY',
    120_000,
    'the gallery',
  );
  const audit = await graphql(
    t.url,
    auditor,
    'mutation($input: LeakageAuditInput!) { startLeakageAudit(input: $input) { id } }',
    {
      input: { galleryId, runIds: [firstRun], threshold: { cosine: 0.99 } },
    },
  );
  const auditId = audit.data!.startLeakageAudit.id as string;
  await waitFor(
    async () =>
      (await t.platform.database.prisma.leakageAudit.findUniqueOrThrow({ where: { id: auditId } })).status ===
      'SUCCEEDED',
    120_000,
    'the audit',
  );
  return auditId;
}

const runStatus = async (id: string) =>
  (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } })).status;

let firstRun: string;

describe('the dashboard in a real browser', { timeout: 240_000 }, () => {
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

  it('cancels a second run as an operator, while a viewer sees no cancel button and no galleries', async () => {
    const operator = await signIn(Role.OPERATOR);
    const secondRun = await startRunFromForm(operator, 12, 5000);
    await waitFor(async () => (await runStatus(secondRun)) === RunStatus.RUNNING, 120_000, 'the second run to start');
    const cancel = operator.getByRole('button', { name: 'Cancel run' });
    await cancel.waitFor();

    const viewer = await signIn(Role.VIEWER);
    await expect(viewer.getByRole('link', { name: 'Galleries' }).count()).resolves.toBe(0);
    await expect(viewer.getByRole('link', { name: 'Start a Langevin run' }).count()).resolves.toBe(0);
    await viewer.goto(`${origin}/runs/${secondRun}`);
    await viewer.getByTestId('iteration').waitFor();
    await viewer.getByText(RunStatus.RUNNING).first().waitFor();
    expect(await viewer.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await shot(viewer, 'run-as-viewer');
    await viewer.goto(`${origin}/galleries`);
    await viewer.getByText("Your key's role may not open this page.").waitFor();

    await cancel.click();
    await operator.getByText(RunStatus.CANCELLED).first().waitFor({ timeout: 120_000 });
    expect(await runStatus(secondRun)).toBe(RunStatus.CANCELLED);
    await viewer.goto(`${origin}/runs`);
    await viewer.locator(`tr[data-run-id="${secondRun}"]`).getByText(RunStatus.CANCELLED).waitFor();
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
    await waitFor(
      () =>
        page
          .getByTestId('identity-image')
          .evaluate((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth > 0),
      60_000,
      'the identity image to load',
    );
    await shot(page, 'identity');
    await page.goto(`${origin}/packs`);
    await page.getByTestId('packs-table').locator('tbody tr').first().waitFor();
    await shot(page, 'model-packs');
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it("gives auditors galleries and an audit's summary, histogram and flagged pairs", async () => {
    const auditId = await auditFirstRunAgainstItself();
    const page = await signIn(Role.AUDITOR);
    await page.getByRole('link', { name: 'Galleries' }).click();
    await page.getByTestId('galleries-table').getByText('READY').waitFor();
    await shot(page, 'galleries');
    await page.getByRole('link', { name: 'Audits' }).click();
    await page
      .getByTestId('audits-table')
      .getByRole('link', { name: auditId.slice(0, 8) })
      .click();
    await page.getByTestId('audit-summary').getByText('12 of 12').waitFor();
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
