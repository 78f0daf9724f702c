// drive.mjs opens the browser demo in a headless Chromium, waits until the
// page shows Go's greeting and its own answer to Go's call, and prints what
// the page shows as one line of JSON. It never downloads a browser: it runs
// the one at $CHROMIUM (default /usr/bin/chromium).
//
//	node drive.mjs URL PROFILE_DIR
import { chromium } from "playwright-core";

const [url, profile] = process.argv.slice(2);
if (!url || !profile) {
  console.error("usage: node drive.mjs URL PROFILE_DIR");
  process.exit(2);
}

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 30_000,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const shown = { errors: [] };
let ok = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => shown.errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && shown.errors.push(m.text()));
  await page.goto(url, { timeout: 20_000 });
  await page
    .waitForFunction(() => ["greeting", "added"].every((id) => document.getElementById(id).textContent !== "…"),
      null, { timeout: 20_000 })
    .catch((e) => shown.errors.push(`waiting for the page: ${e.message.split("\n")[0]}`));
  for (const id of ["status", "greeting", "added"]) {
    shown[id] = await page.textContent(`#${id}`);
  }
  ok = shown.errors.length === 0;
} catch (e) {
  shown.errors.push(String(e));
} finally {
  await context.close();
}
console.log(JSON.stringify(shown));
process.exit(ok ? 0 : 1);
