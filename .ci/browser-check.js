// Drives Swagger UI at BASE/docs and ReDoc at BASE/redoc in headless
// Chromium (playwright-core with Debian's chromium). /docs: every operation
// of /openapi.json renders, Authorize signs in with the OAuth2 password
// flow, and "Try it out" then answers GET /api/v1/auth/me with 200. /redoc:
// every operation is listed and GET /api/v1/auth/me's page shows its
// summary, with no console error at all. Neither page breaks a rule of its
// Content Security Policy or asks another host for anything. Saves
// DOCS_SCREENSHOT and REDOC_SCREENSHOT.
//
//   node .ci/browser-check.js BASE EMAIL PASSWORD DOCS_SCREENSHOT REDOC_SCREENSHOT
const { chromium } = require('playwright-core');

const [base, email, password, screenshot, redocScreenshot] = process.argv.slice(2);
const problems = [];

// Records, as problems of `label`, CSP violations and requests to another
// host; with `anyError`, every console error and uncaught exception too.
function watch(page, label, anyError) {
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) {
      problems.push(`${label}: CSP violation: ${message.text()}`);
    } else if (anyError && message.type() === 'error') {
      problems.push(`${label}: console error: ${message.text()}`);
    }
  });
  if (anyError) page.on('pageerror', (error) => problems.push(`${label}: uncaught: ${error}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== new URL(base).origin) {
      problems.push(`${label}: request to another host: ${request.url()}`);
    }
  });
}

// ReDoc lists every operation (behind its "Show N more" buttons) as a link
// to #/TAG/OPERATION_ID, and the page of GET /api/v1/auth/me has its summary
// as a heading.
async function checkRedoc(browser, document) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watch(page, '/redoc', true);
  const tags = new Set(Object.values(document.paths)
    .flatMap((item) => Object.values(item).flatMap((operation) => operation.tags || [])));
  await page.goto(`${base}/redoc`);
  await page.waitForFunction((count) => window.document
    .querySelectorAll('[data-testid="items-navigation-list"]').length === count, tags.size,
  { timeout: 30000 });
  const more = page.locator('[data-testid="show-more-operations"]');
  while (await more.count() > 0) await more.first().click();

  let operations = 0;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (!item[method]) continue;
      operations += 1;
      const { operationId, tags } = item[method];
      const link = page.locator(`a[href="#/${tags[0]}/${operationId}"]`, { hasText: path });
      if (await link.count() < 1) {
        problems.push(`/redoc: operation ${operationId} (${method.toUpperCase()} ${path}) is not listed`);
      }
    }
  }

  const me = document.paths['/api/v1/auth/me'].get;
  await page.locator(`a[href="#/auth/${me.operationId}"]`).first().click();
  await page.locator('[data-testid="middle-panel"] h2', { hasText: me.summary }).first()
    .waitFor({ timeout: 10000 })
    .catch(() => problems.push(`/redoc: the page of ${me.operationId} has no heading "${me.summary}"`));
  if (!page.url().endsWith(`#/auth/${me.operationId}`)) {
    problems.push(`/redoc: opening ${me.operationId} led to ${page.url()}`);
  }
  await page.screenshot({ path: redocScreenshot });
  return operations;
}

async function main() {
  const document = await (await fetch(`${base}/openapi.json`)).json();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(page, '/docs', false);
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30000 });

    let operations = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        if (!item[method]) continue;
        operations += 1;
        const { operationId } = item[method];
        const block = page.locator(`.opblock-${method}`, {
          has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
        }).filter({ hasText: operationId });
        if (await block.count() !== 1) {
          problems.push(`operation ${operationId} (${method.toUpperCase()} ${path}) is not shown`);
        }
      }
    }

    await page.click('button.authorize');
    await page.fill('#oauth_username', email);
    await page.fill('#oauth_password', password);
    const [login] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login/access-token')),
      page.click('.auth-container:has(#oauth_username) button.authorize'),
    ]);
    if (login.status() !== 200) problems.push(`Authorize: login answered ${login.status()}`);
    await page.click('.modal-ux button.close-modal');

    const me = page.locator('#operations-auth-get_me');
    await me.locator('.opblock-summary').click();
    await me.locator('button.try-out__btn').click();
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/me')),
      me.locator('button.execute').click(),
    ]);
    const body = await answer.json().catch(() => ({}));
    if (answer.status() !== 200 || body.email !== email) {
      problems.push(`Try it out: GET /api/v1/auth/me answered ${answer.status()}`);
    }
    await me.locator('.live-responses-table').waitFor();

    await page.screenshot({ path: screenshot, fullPage: true });
    const listed = await checkRedoc(browser, document);
    if (problems.length === 0) {
      console.log(`browser-check: /docs: all ${operations} operations render; Authorize (OAuth2 password `
        + `flow) and Try it out work; /redoc: all ${listed} operations listed, one opened, no console `
        + 'error; no CSP violation, no request to another host');
    }
  } finally {
    await browser.close();
  }
}

main()
  .catch((error) => problems.push(`${error.stack || error}`))
  .finally(() => {
    for (const problem of problems) console.log(`browser-check: ${problem}`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  });
