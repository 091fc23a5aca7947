import { test, expect } from "@playwright/test";
import { registerWithForm, setupKey, uniqueName, waitForHydration } from "./support";

async function openSetupPage(page: import("@playwright/test").Page) {
  await registerWithForm(page, uniqueName("copier"), "correct horse battery");
  await page.goto("/account/2fa/setup");
  await waitForHydration(page);
}

// The Copy button only works once the WASM has hydrated the page: this is also the proof that
// hydration happened (the server-rendered HTML alone has no click handler).
test("the Copy button puts the setup key on the clipboard", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await openSetupPage(page);
  const secret = await setupKey(page);
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.locator(".copy-feedback")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
});

test("without clipboard access the Copy button selects the key", async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
  });
  await openSetupPage(page);
  const secret = await setupKey(page);
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.locator(".copy-feedback")).toContainText("Selected");
  const selected = await page.evaluate(() => window.getSelection()?.toString() ?? "");
  expect(selected.replace(/\s+/g, "")).toBe(secret);
});
