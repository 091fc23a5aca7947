import { test, expect, Page } from "@playwright/test";
import * as path from "path";
import { codeFor, registerWithForm, setupKey, signOutAndEnterPassword, uniqueName, waitForHydration } from "./support";

// The whole journey at a phone's size and a desktop's, with a screenshot of every step.
const sizes = [
  { name: "phone", width: 360, height: 740 },
  { name: "desktop", width: 1280, height: 800 },
  { name: "narrowest", width: 320, height: 640 },
];

// Where the screenshots go. A normal run writes them to end2end/test-results/screenshots/
// (git-ignored, emptied by Playwright at the start of each run), so running the tests never
// dirties the tree. With UPDATE_SCREENSHOTS=1 in the environment they replace the tracked ones
// the README shows (end2end/screenshots/): run that when the pages have changed, then commit them.
const screenshotDir =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? path.join(__dirname, "..", "screenshots")
    : path.join(__dirname, "..", "test-results", "screenshots");

async function shot(page: Page, step: string, size: string) {
  await page.screenshot({ path: path.join(screenshotDir, `${step}-${size}.png`), fullPage: true });
}

for (const size of sizes) {
  test(`the journey at ${size.width}×${size.height}, with screenshots`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    const username = uniqueName(`shot-${size.name}`);
    const password = "correct horse battery";

    await page.goto("/register");
    await waitForHydration(page);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await shot(page, "1-register", size.name);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/account$/);

    await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
    await waitForHydration(page);
    const secret = await setupKey(page);
    // Nothing may be wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "2-setup", size.name);
    await page.getByLabel("6-digit code").fill(codeFor(secret));
    await page.getByRole("button", { name: "Confirm and turn on" }).click();
    await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
    await shot(page, "3-recovery-codes", size.name);
    // The confirmation leads to the account page, which shows the new codes once.
  await expect(page).toHaveURL(/\/account$/);
    await waitForHydration(page);

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page).toHaveURL(/\/login$/);
    await waitForHydration(page);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await shot(page, "4-sign-in", size.name);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/login\/2fa$/);
    await waitForHydration(page);
    await shot(page, "5-code", size.name);
    // Typing the sixth digit submits the form by itself.
    await page.getByLabel("6-digit code").pressSequentially(codeFor(secret, 1));
    await expect(page).toHaveURL(/\/account$/);
    await waitForHydration(page);
    await shot(page, "6-account", size.name);
  });
}

test("a pasted code with a space submits by itself", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const username = uniqueName("paste");
  await registerWithForm(page, username, "correct horse battery");
  await page.goto("/account/2fa/setup");
  await waitForHydration(page);
  const code = codeFor(await setupKey(page));
  await page.evaluate((text) => navigator.clipboard.writeText(text), `${code.slice(0, 3)} ${code.slice(3)}`);
  await page.getByLabel("6-digit code").focus();
  await page.keyboard.press("Control+V");
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
});
