// Drives Swagger UI at BASE/docs in headless Chromium (playwright-core with
// Debian's chromium): every operation of /openapi.json renders, the page
// breaks no rule of its Content Security Policy and asks no other host for
// anything, Authorize signs in with the OAuth2 password flow, and "Try it
// out" then answers GET /api/v1/auth/me with 200. Saves SCREENSHOT.
//
//   node .ci/browser-check.js BASE EMAIL PASSWORD SCREENSHOT
const { chromium } = require('playwright-core');

const [base, email, password, screenshot] = process.argv.slice(2);
const problems = [];

async function main() {
  const document = await (await fetch(`${base}/openapi.json`)).json();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/.test(message.text())) {
        problems.push(`CSP violation: ${message.text()}`);
      }
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== new URL(base).origin) {
        problems.push(`request to another host: ${request.url()}`);
      }
    });
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
    if (problems.length === 0) {
      console.log(`browser-check: all ${operations} operations render; Authorize (OAuth2 password flow) `
        + 'and Try it out work; no CSP violation, no request to another host');
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
